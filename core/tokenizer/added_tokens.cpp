#include "core/tokenizer/added_tokens.h"

#include "core/tokenizer/utf8.h"

#include <QChar>

namespace gyrus::tokenizer {

void AddedTokenMatcher::build(const std::vector<AddedToken> &tokens,
                              const std::vector<std::string> &patterns)
{
    m_tokens = tokens;
    m_nodes.assign(1, Node{});
    m_children.clear();
    for (size_t t = 0; t < patterns.size(); ++t) {
        const std::string &pattern = patterns[t];
        if (pattern.empty()) {
            continue;
        }
        m_firstByte[static_cast<unsigned char>(pattern[0])] = true;
        int node = 0;
        for (const char c : pattern) {
            const uint64_t key = (uint64_t(node) << 8) | static_cast<unsigned char>(c);
            auto it = m_children.find(key);
            if (it == m_children.end()) {
                m_nodes.push_back(Node{});
                it = m_children.emplace(key, int(m_nodes.size() - 1)).first;
            }
            node = it->second;
        }
        // A later duplicate keeps the first token, as the first added wins in Hugging Face.
        if (m_nodes[size_t(node)].pattern < 0) {
            m_nodes[size_t(node)].pattern = int(t);
        }
    }
}

int AddedTokenMatcher::longestAt(std::string_view text, size_t at, size_t *length) const
{
    int node = 0;
    int best = -1;
    for (size_t i = at; i < text.size(); ++i) {
        const uint64_t key = (uint64_t(node) << 8) | static_cast<unsigned char>(text[i]);
        const auto it = m_children.find(key);
        if (it == m_children.end()) {
            break;
        }
        node = it->second;
        if (m_nodes[size_t(node)].pattern >= 0) {
            best = m_nodes[size_t(node)].pattern;
            *length = i + 1 - at;
        }
    }
    return best;
}

namespace {

// Rust's char::is_alphanumeric plus '_', the word characters of single_word.
bool isWordChar(char32_t c)
{
    return c == U'_' || QChar::isLetterOrNumber(uint(c));
}

char32_t lastChar(std::string_view text)
{
    size_t i = text.size();
    while (i > 0 && (static_cast<unsigned char>(text[i - 1]) & 0xC0) == 0x80) {
        --i;
    }
    size_t n = 0;
    return i > 0 ? decodeUtf8(text, i - 1, &n) : decodeUtf8(text, i, &n);
}

bool isSpace(char32_t c)
{
    return QChar::isSpace(uint(c));
}

}  // namespace

void AddedTokenMatcher::split(std::string_view text, std::vector<TextSplit> *out) const
{
    out->clear();
    if (text.empty()) {
        out->push_back({0, 0, -1});
        return;
    }
    size_t previousEnd = 0;
    for (size_t at = 0; at < text.size();) {
        size_t length = 0;
        const int found = m_firstByte[static_cast<unsigned char>(text[at])]
                                  ? longestAt(text, at, &length)
                                  : -1;
        if (found < 0) {
            ++at;
            continue;
        }
        const AddedToken &token = m_tokens[size_t(found)];
        size_t start = at;
        size_t stop = at + length;
        if (token.singleWord) {
            size_t n = 0;
            const bool wordBefore = start > 0 && isWordChar(lastChar(text.substr(0, start)));
            const bool wordAfter = stop < text.size() && isWordChar(decodeUtf8(text, stop, &n));
            if (wordBefore || wordAfter) {
                at = stop;  // the matcher moves on past a rejected match, as aho-corasick does
                continue;
            }
        }
        if (token.lstrip) {
            size_t s = start;
            while (s > previousEnd && isSpace(lastChar(text.substr(0, s)))) {
                --s;
                while (s > 0 && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80) {
                    --s;
                }
            }
            start = s;
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                size_t n = 0;
                if (!isSpace(decodeUtf8(text, stop, &n))) {
                    break;
                }
                stop += n;
            }
        }
        if (previousEnd < start) {
            out->push_back({previousEnd, start, -1});
        }
        out->push_back({start, stop, token.id});
        previousEnd = stop;
        at = stop;
    }
    if (previousEnd < text.size()) {
        out->push_back({previousEnd, text.size(), -1});
    }
}

}  // namespace gyrus::tokenizer
