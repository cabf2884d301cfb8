#pragma once
// Byte-pair encoding with Hugging Face's semantics: lowest-rank merge first (leftmost on ties),
// ignore_merges, byte_fallback, unk fusing, continuing_subword_prefix / end_of_word_suffix.
// For byte-level tokenizers the vocabulary is kept as raw bytes, so no text is ever mapped to
// GPT-2's byte characters while encoding.

#include "core/tokenizer/flat_maps.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gyrus::tokenizer {

/// A token of one pre-token: id and byte range within it.
struct ModelToken
{
    int id = 0;
    uint32_t begin = 0;
    uint32_t end = 0;
};

struct BpeOptions
{
    bool byteLevel = false;  ///< vocabulary keys are GPT-2 byte characters; words are raw bytes
    bool byteFallback = false;
    bool ignoreMerges = false;
    bool fuseUnk = false;
    int unkId = -1;
    std::string continuingSubwordPrefix;
    std::string endOfWordSuffix;
};

class BpeModel
{
public:
    explicit BpeModel(BpeOptions options);
    ~BpeModel();

    /// `key` is the token as the vocabulary spells it; false when a byte-level key is not made of
    /// byte characters (such a token is unreachable by merges, and kept out of the model map).
    bool addVocab(std::string_view key, int id);

    /// The id of a vocabulary token as the file spells it, or -1.
    int vocabId(std::string_view key) const;

    /// Adds the merge of rank `rank`; false when a side or the result is not in the vocabulary
    /// (`missing` names it).
    bool addMerge(std::string_view left, std::string_view right, int rank, std::string *missing);

    /// The unknown token (known only once the vocabulary is in).
    void setUnkId(int id) { m_options.unkId = id; }

    /// Call once after the vocabulary is in (finds the <0xXX> byte tokens).
    void finish();

    const BpeOptions &options() const { return m_options; }

    /// Appends the tokens of `word` (raw bytes for byte-level models) to `out`.
    void tokenize(std::string_view word, std::vector<ModelToken> *out) const;

private:
    void mergeWord(std::string_view word, std::vector<ModelToken> *out) const;

    BpeOptions m_options;
    StringIdMap m_vocab;         // model-level key (raw bytes for byte-level) -> id
    StringIdMap m_spelledVocab;  // only for byte-level: the file's spelling -> id
    PairMap m_merges;
    std::array<int, 256> m_fallbackIds{};  // <0xXX> tokens

    struct Cache;
    std::unique_ptr<Cache> m_cache;
};

}  // namespace gyrus::tokenizer
