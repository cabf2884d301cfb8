#include "core/tokenizer/hf_tokenizer.h"

#include "core/tokenizer/utf8.h"

#include <QChar>

namespace gyrus::tokenizer {

void applyNormalizer(const std::vector<NormalizerStep> &steps, NormalizedText *text)
{
    for (const NormalizerStep &step : steps) {
        switch (step.kind) {
            case NormalizerStep::Kind::Nfc:
                text->unicodeNormalize(false);
                break;
            case NormalizerStep::Kind::Nfkc:
                text->unicodeNormalize(true);
                break;
            case NormalizerStep::Kind::Lowercase:
                text->lowercase();
                break;
            case NormalizerStep::Kind::Prepend:
                text->prepend(step.content);
                break;
            case NormalizerStep::Kind::Replace:
                text->replaceLiteral(step.pattern, step.content);
                break;
        }
    }
}

namespace {

bool isSpaceLike(char32_t c)
{
    return c == byteToChar(' ') || QChar::isSpace(uint(c));
}

// ByteLevel's trim_offsets: offsets lose the spaces a token starts or ends with.
void trimOffsets(const HfTokenizer &tokenizer, bool addPrefixSpace, std::vector<Token> *tokens)
{
    for (size_t i = 0; i < tokens->size(); ++i) {
        Token &token = (*tokens)[i];
        const std::string &text = tokenizer.idToToken(token.id);
        std::vector<char32_t> chars;
        for (size_t at = 0; at < text.size();) {
            size_t n = 0;
            chars.push_back(decodeUtf8(text, at, &n));
            at += n;
        }
        size_t leading = 0;
        while (leading < chars.size() && isSpaceLike(chars[leading])) {
            ++leading;
        }
        size_t trailing = 0;
        while (trailing < chars.size() && isSpaceLike(chars[chars.size() - 1 - trailing])) {
            ++trailing;
        }
        if (leading > 0) {
            const bool first = i == 0 || token.begin == 0;
            if (first && addPrefixSpace && leading == 1) {
                leading = 0;
            }
            token.begin = std::min<uint32_t>(token.begin + uint32_t(leading), token.end);
        }
        if (trailing > 0 && token.end >= trailing) {
            token.end = std::max<uint32_t>(token.end - uint32_t(trailing), token.begin);
        }
    }
}

}  // namespace

void HfTokenizer::encodeSegment(std::string_view text, size_t begin, size_t end,
                                std::vector<Token> *out) const
{
    NormalizedText normalized = NormalizedText::fromOriginal(text, begin, end);
    applyNormalizer(m_normalizer, &normalized);
    if (normalized.text.empty()) {
        return;
    }
    thread_local std::vector<Piece> pieces;
    pieces.clear();
    if (m_normalizedAdded.empty()) {
        pieces.push_back({0, uint32_t(normalized.text.size()), -1});
    } else {
        std::vector<TextSplit> splits;
        m_normalizedAdded.split(normalized.text, &splits);
        for (const TextSplit &split : splits) {
            pieces.push_back({uint32_t(split.begin), uint32_t(split.end), split.id});
        }
    }
    preTokenize(m_preTokenizer, &normalized, &pieces);
    thread_local std::vector<ModelToken> modelTokens;
    for (const Piece &piece : pieces) {
        if (piece.end <= piece.begin) {
            continue;
        }
        if (piece.id >= 0) {
            out->push_back({piece.id, normalized.originalBegin(piece.begin),
                            normalized.originalEnd(piece.end)});
            continue;
        }
        modelTokens.clear();
        m_model->tokenize(
                std::string_view(normalized.text.data() + piece.begin, piece.end - piece.begin),
                &modelTokens);
        for (const ModelToken &t : modelTokens) {
            const size_t from = piece.begin + t.begin;
            const size_t to = piece.begin + t.end;
            if (to <= from) {
                continue;
            }
            out->push_back({t.id, normalized.originalBegin(from), normalized.originalEnd(to)});
        }
    }
}

std::vector<Token> HfTokenizer::encode(std::string_view text, bool addSpecialTokens) const
{
    std::vector<Token> tokens;
    tokens.reserve(text.size() / 3 + 4);
    if (m_model) {
        if (m_rawAdded.empty()) {
            encodeSegment(text, 0, text.size(), &tokens);
        } else {
            thread_local std::vector<TextSplit> splits;
            m_rawAdded.split(text, &splits);
            for (const TextSplit &split : splits) {
                if (split.id >= 0) {
                    tokens.push_back({split.id, uint32_t(split.begin), uint32_t(split.end)});
                } else if (split.end > split.begin) {
                    encodeSegment(text, split.begin, split.end, &tokens);
                }
            }
        }
    }
    for (const PostProcessorStep &step : m_postProcessor) {
        if (step.kind == PostProcessorStep::Kind::ByteLevel) {
            if (step.trimOffsets) {
                trimOffsets(*this, step.addPrefixSpace, &tokens);
            }
        } else if (addSpecialTokens) {
            std::vector<Token> templated;
            templated.reserve(tokens.size() + step.single.size());
            for (const int item : step.single) {
                if (item < 0) {
                    templated.insert(templated.end(), tokens.begin(), tokens.end());
                } else {
                    templated.push_back({item, 0, 0});
                }
            }
            tokens.swap(templated);
        }
    }
    return tokens;
}

std::string HfTokenizer::decode(const std::vector<int> &ids, bool skipSpecial) const
{
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const int id : ids) {
        if (id < 0 || id >= vocabSize() || m_idToToken[size_t(id)].empty()) {
            continue;
        }
        if (skipSpecial && isSpecial(id)) {
            continue;
        }
        tokens.push_back(m_idToToken[size_t(id)]);
    }
    return decodeTokens(m_decoder, std::move(tokens));
}

const std::string &HfTokenizer::idToToken(int id) const
{
    static const std::string none;
    return id >= 0 && id < vocabSize() ? m_idToToken[size_t(id)] : none;
}

int HfTokenizer::tokenToId(std::string_view token) const
{
    const int id = m_model ? m_model->vocabId(token) : -1;
    if (id >= 0) {
        return id;
    }
    for (size_t i = 0; i < m_idToToken.size(); ++i) {
        if (m_special[i] != 0 && m_idToToken[i] == token) {
            return int(i);
        }
    }
    return -1;
}

bool HfTokenizer::isSpecial(int id) const
{
    return id >= 0 && id < vocabSize() && m_special[size_t(id)] != 0;
}

bool HfTokenizer::isByteFallback(int id) const
{
    const std::string &token = idToToken(id);
    return m_model && m_model->options().byteFallback && token.size() == 6 &&
           token.compare(0, 3, "<0x") == 0 && token[5] == '>';
}

std::string HfTokenizer::displayToken(int id) const
{
    const std::string &token = idToToken(id);
    if (token.empty() || isSpecial(id) || isByteFallback(id)) {
        return token;
    }
    std::string text = token;
    if (m_model && m_model->options().byteLevel) {
        std::string bytes;
        if (byteLevelToBytes(token, &bytes)) {
            if (toValidUtf8(bytes) != bytes) {
                // Bytes of a character split across tokens: show them as bytes.
                std::string shown;
                for (const char b : bytes) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "<0x%02X>", static_cast<unsigned char>(b));
                    shown += hex;
                }
                return shown;
            }
            text = bytes;
        }
    }
    std::string shown;
    shown.reserve(text.size());
    for (size_t at = 0; at < text.size();) {
        size_t n = 0;
        const char32_t c = decodeUtf8(text, at, &n);
        if (c == U'\u2581') {
            shown.push_back(' ');
        } else if (c == U'\n') {
            appendUtf8(shown, U'\u23CE');
        } else {
            shown.append(text, at, n);
        }
        at += n;
    }
    return shown;
}

}  // namespace gyrus::tokenizer
