#pragma once
// A normalised text that remembers, for every byte, the range of the original text it came from
// (Hugging Face's NormalizedString), so token offsets map back onto the user's characters.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gyrus::tokenizer {

struct NormalizedText
{
    std::string text;
    /// Per byte of `text`: [begin, end) in bytes of the original input.
    std::vector<uint32_t> alignBegin;
    std::vector<uint32_t> alignEnd;

    /// `original[begin, end)` unchanged; each byte aligned to the character it belongs to.
    static NormalizedText fromOriginal(std::string_view original, size_t begin, size_t end);

    /// Original range of the normalised bytes [from, to) (to > from).
    uint32_t originalBegin(size_t from) const { return alignBegin[from]; }

    uint32_t originalEnd(size_t to) const { return alignEnd[to - 1]; }

    /// Replaces every occurrence of `pattern` with `content`; the new bytes align to the
    /// replaced text.
    void replaceLiteral(std::string_view pattern, std::string_view content);

    /// Prepends `prefix` (nothing when empty), aligned to the first character.
    void prepend(std::string_view prefix);

    /// Unicode normalisation form C or KC (Qt's tables), keeping alignments per composed
    /// segment.
    void unicodeNormalize(bool compatibility);

    /// Lowercases every character (Unicode simple case mapping).
    void lowercase();

    /// Removes `bytes` bytes at the start.
    void removePrefix(size_t bytes);
};

}  // namespace gyrus::tokenizer
