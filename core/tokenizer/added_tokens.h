#pragma once
// Added tokens (special and not) found in a text before the model sees it, as Hugging Face's
// AddedVocabulary does: leftmost-longest matches, then the single_word, lstrip and rstrip rules.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gyrus::tokenizer {

struct AddedToken
{
    std::string content;
    int id = -1;
    bool special = false;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = false;
};

/// A span of a text: an added token (`id` >= 0) or text for the model (`id` == -1).
struct TextSplit
{
    size_t begin = 0;
    size_t end = 0;
    int id = -1;
};

class AddedTokenMatcher
{
public:
    /// Builds the matcher over `patterns` (each token's content as it must appear in the text).
    void build(const std::vector<AddedToken> &tokens, const std::vector<std::string> &patterns);

    bool empty() const { return m_tokens.empty(); }

    /// Splits `text` into added tokens and the text between them (covering all of it; an empty
    /// text gives one empty split).
    void split(std::string_view text, std::vector<TextSplit> *out) const;

private:
    // Longest pattern starting at `at`: its index, or -1.
    int longestAt(std::string_view text, size_t at, size_t *length) const;

    struct Node
    {
        int pattern = -1;  // index into m_tokens of the pattern ending here
    };

    std::vector<Node> m_nodes;
    std::unordered_map<uint64_t, int> m_children;  // (node << 8 | byte) -> node
    bool m_firstByte[256] = {};
    std::vector<AddedToken> m_tokens;
};

}  // namespace gyrus::tokenizer
