#include "core/tokenizer/decoders.h"

#include "core/tokenizer/utf8.h"

#include <cstdlib>

namespace gyrus::tokenizer {

namespace {

void replaceAll(std::string &s, const std::string &from, const std::string &to)
{
    if (from.empty()) {
        return;
    }
    std::string out;
    out.reserve(s.size());
    size_t at = 0;
    for (size_t found = s.find(from); found != std::string::npos; found = s.find(from, at)) {
        out.append(s, at, found - at);
        out += to;
        at = found + from.size();
    }
    out.append(s, at, std::string::npos);
    s.swap(out);
}

// "<0xAB>" -> 0xAB, or -1.
int fallbackByte(const std::string &token)
{
    if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') {
        return -1;
    }
    char *end = nullptr;
    const std::string hex = token.substr(3, 2);
    const long value = std::strtol(hex.c_str(), &end, 16);
    return end == hex.c_str() + 2 ? int(value) : -1;
}

void byteFallback(std::vector<std::string> &tokens)
{
    std::vector<std::string> out;
    std::string bytes;
    size_t pending = 0;
    const auto flush = [&] {
        if (pending == 0) {
            return;
        }
        const std::string valid = toValidUtf8(bytes);
        if (valid == bytes) {
            out.push_back(bytes);
        } else {
            // Invalid UTF-8: one U+FFFD per byte token, as Hugging Face does.
            for (size_t k = 0; k < pending; ++k) {
                out.emplace_back("\xEF\xBF\xBD");
            }
        }
        bytes.clear();
        pending = 0;
    };
    for (std::string &token : tokens) {
        const int b = fallbackByte(token);
        if (b >= 0) {
            bytes.push_back(char(b));
            ++pending;
        } else {
            flush();
            out.push_back(std::move(token));
        }
    }
    flush();
    tokens.swap(out);
}

void byteLevel(std::vector<std::string> &tokens)
{
    std::string bytes;
    std::string raw;
    for (const std::string &token : tokens) {
        if (byteLevelToBytes(token, &raw)) {
            bytes += raw;
        } else {
            bytes += token;
        }
    }
    tokens.assign(1, toValidUtf8(bytes));
}

void strip(std::vector<std::string> &tokens, const DecoderStep &step)
{
    if (step.pattern.empty()) {
        return;
    }
    for (std::string &token : tokens) {
        for (int k = 0; k < step.start && token.compare(0, step.pattern.size(), step.pattern) == 0;
             ++k) {
            token.erase(0, step.pattern.size());
        }
        for (int k = 0; k < step.stop && token.size() >= step.pattern.size() &&
                        token.compare(token.size() - step.pattern.size(), step.pattern.size(),
                                      step.pattern) == 0;
             ++k) {
            token.erase(token.size() - step.pattern.size());
        }
    }
}

}  // namespace

std::string decodeTokens(const std::vector<DecoderStep> &steps, std::vector<std::string> tokens)
{
    if (steps.empty()) {
        std::string joined;
        for (size_t i = 0; i < tokens.size(); ++i) {
            joined += (i > 0 ? " " : "") + tokens[i];
        }
        return joined;
    }
    for (const DecoderStep &step : steps) {
        switch (step.kind) {
            case DecoderStep::Kind::Replace:
                for (std::string &token : tokens) {
                    replaceAll(token, step.pattern, step.content);
                }
                break;
            case DecoderStep::Kind::ByteFallback:
                byteFallback(tokens);
                break;
            case DecoderStep::Kind::Fuse: {
                std::string joined;
                for (const std::string &token : tokens) {
                    joined += token;
                }
                tokens.assign(1, joined);
                break;
            }
            case DecoderStep::Kind::Strip:
                strip(tokens, step);
                break;
            case DecoderStep::Kind::ByteLevel:
                byteLevel(tokens);
                break;
            case DecoderStep::Kind::Metaspace:
                for (size_t i = 0; i < tokens.size(); ++i) {
                    replaceAll(tokens[i], step.content, " ");
                    if (i == 0 && step.prependFirst && !tokens[i].empty() && tokens[i][0] == ' ') {
                        tokens[i].erase(0, 1);
                    }
                }
                break;
        }
    }
    std::string joined;
    for (const std::string &token : tokens) {
        joined += token;
    }
    return joined;
}

}  // namespace gyrus::tokenizer
