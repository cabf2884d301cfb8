#pragma once
// Pre-tokenizers of a tokenizer.json (Split, ByteLevel, Metaspace, Digits; a Sequence is a list
// of them): they cut a normalised text into the pieces the model encodes one by one.

#include "core/tokenizer/normalized_text.h"
#include "core/tokenizer/onig_regex.h"

#include <memory>
#include <string>
#include <vector>

namespace gyrus::tokenizer {

/// A piece of a NormalizedText: bytes [begin, end), already an added token when id >= 0.
struct Piece
{
    uint32_t begin = 0;
    uint32_t end = 0;
    int id = -1;
};

enum class SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
};

enum class PrependScheme
{
    Always,
    First,
    Never,
};

struct PreTokenizerStep
{
    enum class Kind
    {
        Split,
        ByteLevel,
        Metaspace,
        Digits,
    } kind = Kind::Split;

    // Split: a regex, or a literal when `regex` is null.
    std::shared_ptr<const OnigRegex> regex;
    std::string literal;
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;

    // ByteLevel (its regex is GPT-2's, in `regex`).
    bool addPrefixSpace = false;
    bool useRegex = true;

    // Metaspace.
    std::string replacement;
    PrependScheme prependScheme = PrependScheme::Always;
    bool split = true;

    // Digits.
    bool individualDigits = false;
};

/// GPT-2's pre-tokenisation pattern (ByteLevel with use_regex).
const char *gpt2Pattern();

/// Applies `steps` in order to the model pieces of `text` (pieces with id >= 0 stay as they are).
void preTokenize(const std::vector<PreTokenizerStep> &steps, NormalizedText *text,
                 std::vector<Piece> *pieces);

}  // namespace gyrus::tokenizer
