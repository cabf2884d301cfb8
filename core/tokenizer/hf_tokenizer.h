#pragma once
// A Hugging Face tokenizer (tokenizer.json, or GPT-2's vocab.json + merges.txt) with the ids and
// offsets of Hugging Face's Rust `tokenizers`: added tokens, normaliser, pre-tokeniser, BPE,
// post-processor, decoder. Torch-free and Qt-light: text is UTF-8 std::string throughout.

#include "core/base/status.h"
#include "core/tokenizer/added_tokens.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/pre_tokenizer.h"

#include <QString>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gyrus::tokenizer {

/// One token of an encoded text: its id and the bytes [begin, end) of the input it covers
/// (special tokens added by the post-processor get the empty range [0, 0)).
struct Token
{
    int id = 0;
    uint32_t begin = 0;
    uint32_t end = 0;
};

struct NormalizerStep
{
    enum class Kind
    {
        Nfc,
        Nfkc,
        Lowercase,
        Prepend,
        Replace,
    } kind = Kind::Nfc;

    std::string pattern;  // Replace
    std::string content;  // Replace, Prepend
};

/// Runs a normaliser's steps over `text`.
void applyNormalizer(const std::vector<NormalizerStep> &steps, NormalizedText *text);

struct PostProcessorStep
{
    enum class Kind
    {
        ByteLevel,  // offsets trimmed of the spaces a token starts or ends with
        Template,   // special tokens around the sequence
    } kind = Kind::Template;

    bool trimOffsets = false;
    bool addPrefixSpace = false;
    /// Template: the single-sequence template; -1 stands for the sequence, others are ids.
    std::vector<int> single;
};

class HfTokenizer
{
public:
    /// Loads a tokenizer.json; `configPath` (tokenizer_config.json, may be empty or missing)
    /// supplies the BOS/EOS tokens and add_bos_token/add_eos_token. Errors name the file and the
    /// JSON path of the problem.
    static Result<std::shared_ptr<const HfTokenizer>> loadJson(const QString &path,
                                                               const QString &configPath);

    /// GPT-2's original files, set up as transformers' GPT2 converter does (byte-level BPE,
    /// <|endoftext|> special).
    static Result<std::shared_ptr<const HfTokenizer>> loadVocabMerges(const QString &vocabPath,
                                                                      const QString &mergesPath);

    /// Encodes UTF-8 `text`; `addSpecialTokens` applies the post-processor's template (BOS/EOS).
    std::vector<Token> encode(std::string_view text, bool addSpecialTokens) const;

    /// Text of the ids (invalid ids skipped; special tokens skipped when `skipSpecial`).
    std::string decode(const std::vector<int> &ids, bool skipSpecial) const;

    /// The token as the vocabulary spells it ("Ġthe", "▁the", "<0x0A>"); "" out of range.
    const std::string &idToToken(int id) const;

    /// The id of a token as the vocabulary spells it, or -1.
    int tokenToId(std::string_view token) const;

    /// The token readably: byte-level characters as the text they stand for, "▁" as a space,
    /// a line break as "⏎"; bytes of a split character as "<0xE2>".
    std::string displayToken(int id) const;

    int vocabSize() const { return int(m_idToToken.size()); }

    bool isSpecial(int id) const;

    /// True for <0xXX> byte-fallback tokens.
    bool isByteFallback(int id) const;

    int bosId() const { return m_bosId; }

    int eosId() const { return m_eosId; }

    int unkId() const { return m_model ? m_model->options().unkId : -1; }

    int padId() const { return m_padId; }

    const QString &path() const { return m_path; }

private:
    friend class TokenizerJsonLoader;

    HfTokenizer() = default;

    void encodeSegment(std::string_view text, size_t begin, size_t end,
                       std::vector<Token> *out) const;

    QString m_path;
    std::vector<NormalizerStep> m_normalizer;
    std::vector<PreTokenizerStep> m_preTokenizer;
    std::vector<PostProcessorStep> m_postProcessor;
    std::vector<DecoderStep> m_decoder;
    std::unique_ptr<BpeModel> m_model;
    AddedTokenMatcher m_rawAdded;         // added tokens matched in the original text
    AddedTokenMatcher m_normalizedAdded;  // those matched after normalisation
    std::vector<std::string> m_idToToken;
    std::vector<char> m_special;  // per id
    int m_bosId = -1;
    int m_eosId = -1;
    int m_padId = -1;
};

}  // namespace gyrus::tokenizer
