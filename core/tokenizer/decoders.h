#pragma once
// Decoders of a tokenizer.json (ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace; a
// Sequence is a list of them): token strings back to text, as Hugging Face's decode_chain.

#include <string>
#include <vector>

namespace gyrus::tokenizer {

struct DecoderStep
{
    enum class Kind
    {
        ByteLevel,
        Metaspace,
        ByteFallback,
        Fuse,
        Strip,
        Replace,
    } kind = Kind::Fuse;

    std::string pattern;       // Replace: the literal replaced; Strip: the character stripped
    std::string content;       // Replace: the replacement; Metaspace: the replacement character
    int start = 0;             // Strip
    int stop = 0;              // Strip
    bool prependFirst = true;  // Metaspace: strip the space its prepend scheme added
};

/// Runs `steps` over the token strings and joins the result; without steps, tokens are joined
/// with spaces (Hugging Face's behaviour when a tokenizer has no decoder).
std::string decodeTokens(const std::vector<DecoderStep> &steps, std::vector<std::string> tokens);

}  // namespace gyrus::tokenizer
