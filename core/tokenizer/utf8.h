#pragma once
// UTF-8 helpers and GPT-2's byte-to-character table, shared by the tokenizer engine.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gyrus::tokenizer {

/// Length in bytes of the UTF-8 character that starts with `lead` (1 for a stray continuation
/// byte or an invalid lead, so scans always advance).
inline size_t utf8Length(unsigned char lead)
{
    if (lead < 0x80) {
        return 1;
    }
    if ((lead >> 5) == 0x6) {
        return 2;
    }
    if ((lead >> 4) == 0xE) {
        return 3;
    }
    if ((lead >> 3) == 0x1E) {
        return 4;
    }
    return 1;
}

/// The code point at `text[at]` (U+FFFD for malformed input); `length` receives its byte count.
char32_t decodeUtf8(std::string_view text, size_t at, size_t *length);

void appendUtf8(std::string &out, char32_t codePoint);

/// Count of code points in `text` (a malformed byte counts as one).
size_t codePointCount(std::string_view text);

/// Makes `text` valid UTF-8, replacing malformed sequences with U+FFFD (as Rust's
/// String::from_utf8_lossy does).
std::string toValidUtf8(std::string_view bytes);

/// GPT-2's reversible byte-to-character table (bytes_to_unicode): printable Latin-1 bytes map to
/// themselves, the rest to U+0100 onwards.
char32_t byteToChar(unsigned char byte);

/// The byte a byte-level character stands for, or -1 when `codePoint` is not one of the 256.
int charToByte(char32_t codePoint);

/// Converts a byte-level string ("Ġthe") to the raw bytes it stands for (" the"); false when a
/// character is not one of the 256.
bool byteLevelToBytes(std::string_view text, std::string *bytes);

/// The byte-level spelling of raw bytes (" the" -> "Ġthe").
std::string bytesToByteLevel(std::string_view bytes);

}  // namespace gyrus::tokenizer
