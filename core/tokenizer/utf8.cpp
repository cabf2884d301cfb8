#include "core/tokenizer/utf8.h"

#include <array>

namespace gyrus::tokenizer {

char32_t decodeUtf8(std::string_view text, size_t at, size_t *length)
{
    const auto lead = static_cast<unsigned char>(text[at]);
    const size_t n = utf8Length(lead);
    if (n == 1 || at + n > text.size()) {
        *length = 1;
        return lead < 0x80 ? char32_t(lead) : char32_t(0xFFFD);
    }
    char32_t value = lead & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
        const auto next = static_cast<unsigned char>(text[at + k]);
        if ((next & 0xC0) != 0x80) {
            *length = 1;
            return 0xFFFD;
        }
        value = (value << 6) | (next & 0x3F);
    }
    *length = n;
    return value;
}

void appendUtf8(std::string &out, char32_t c)
{
    if (c < 0x80) {
        out.push_back(char(c));
    } else if (c < 0x800) {
        out.push_back(char(0xC0 | (c >> 6)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(char(0xE0 | (c >> 12)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (c >> 18)));
        out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    }
}

size_t codePointCount(std::string_view text)
{
    size_t count = 0;
    for (size_t i = 0; i < text.size();) {
        size_t n = 0;
        decodeUtf8(text, i, &n);
        i += n;
        ++count;
    }
    return count;
}

std::string toValidUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    for (size_t i = 0; i < bytes.size();) {
        size_t n = 0;
        const char32_t c = decodeUtf8(bytes, i, &n);
        if (c == 0xFFFD && n == 1) {
            appendUtf8(out, 0xFFFD);
        } else {
            out.append(bytes.substr(i, n));
        }
        i += n;
    }
    return out;
}

namespace {

struct ByteTables
{
    std::array<char32_t, 256> toChar{};
    std::array<int, 324> toByte{};  // every mapped character is below U+0144

    ByteTables()
    {
        toByte.fill(-1);
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable =
                    (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            toChar[size_t(b)] = printable ? char32_t(b) : next++;
            toByte[toChar[size_t(b)]] = b;
        }
    }
};

const ByteTables &byteTables()
{
    static const ByteTables tables;
    return tables;
}

}  // namespace

char32_t byteToChar(unsigned char byte)
{
    return byteTables().toChar[byte];
}

int charToByte(char32_t codePoint)
{
    return codePoint < 324 ? byteTables().toByte[codePoint] : -1;
}

bool byteLevelToBytes(std::string_view text, std::string *bytes)
{
    bytes->clear();
    for (size_t i = 0; i < text.size();) {
        size_t n = 0;
        const int b = charToByte(decodeUtf8(text, i, &n));
        if (b < 0) {
            return false;
        }
        bytes->push_back(char(b));
        i += n;
    }
    return true;
}

std::string bytesToByteLevel(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char b : bytes) {
        appendUtf8(out, byteToChar(static_cast<unsigned char>(b)));
    }
    return out;
}

}  // namespace gyrus::tokenizer
