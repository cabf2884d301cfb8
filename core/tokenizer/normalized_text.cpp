#include "core/tokenizer/normalized_text.h"

#include "core/tokenizer/utf8.h"

#include <QChar>
#include <QList>
#include <QString>

namespace gyrus::tokenizer {

NormalizedText NormalizedText::fromOriginal(std::string_view original, size_t begin, size_t end)
{
    NormalizedText out;
    out.text.assign(original.substr(begin, end - begin));
    out.alignBegin.resize(out.text.size());
    out.alignEnd.resize(out.text.size());
    for (size_t i = 0; i < out.text.size();) {
        size_t n = 0;
        decodeUtf8(out.text, i, &n);
        for (size_t k = 0; k < n; ++k) {
            out.alignBegin[i + k] = uint32_t(begin + i);
            out.alignEnd[i + k] = uint32_t(begin + i + n);
        }
        i += n;
    }
    return out;
}

void NormalizedText::replaceLiteral(std::string_view pattern, std::string_view content)
{
    if (pattern.empty() || text.find(pattern) == std::string::npos) {
        return;
    }
    NormalizedText out;
    out.text.reserve(text.size() + content.size() * 4);
    size_t at = 0;
    while (at < text.size()) {
        const size_t found = text.find(pattern, at);
        const size_t stop = found == std::string::npos ? text.size() : found;
        out.text.append(text, at, stop - at);
        out.alignBegin.insert(out.alignBegin.end(), alignBegin.begin() + long(at),
                              alignBegin.begin() + long(stop));
        out.alignEnd.insert(out.alignEnd.end(), alignEnd.begin() + long(at),
                            alignEnd.begin() + long(stop));
        if (found == std::string::npos) {
            break;
        }
        // Hugging Face inserts the content after the replaced characters: every new byte takes
        // the alignment of the last replaced byte.
        const size_t last = found + pattern.size() - 1;
        out.text.append(content);
        out.alignBegin.insert(out.alignBegin.end(), content.size(), alignBegin[last]);
        out.alignEnd.insert(out.alignEnd.end(), content.size(), alignEnd[last]);
        at = found + pattern.size();
    }
    *this = std::move(out);
}

void NormalizedText::prepend(std::string_view prefix)
{
    if (text.empty() || prefix.empty()) {
        return;
    }
    text.insert(0, prefix);
    alignBegin.insert(alignBegin.begin(), prefix.size(), alignBegin.front());
    alignEnd.insert(alignEnd.begin(), prefix.size(), alignEnd.front());
}

void NormalizedText::removePrefix(size_t bytes)
{
    text.erase(0, bytes);
    alignBegin.erase(alignBegin.begin(), alignBegin.begin() + long(bytes));
    alignEnd.erase(alignEnd.begin(), alignEnd.begin() + long(bytes));
}

namespace {

bool isAscii(const std::string &text)
{
    for (const char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
    }
    return true;
}

struct CharAt
{
    char32_t codePoint;
    size_t byte;
    size_t length;
};

std::vector<CharAt> charsOf(const std::string &text)
{
    std::vector<CharAt> chars;
    chars.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t n = 0;
        const char32_t c = decodeUtf8(text, i, &n);
        chars.push_back({c, i, n});
        i += n;
    }
    return chars;
}

}  // namespace

void NormalizedText::unicodeNormalize(bool compatibility)
{
    if (isAscii(text)) {
        return;
    }
    const QString::NormalizationForm form =
            compatibility ? QString::NormalizationForm_KC : QString::NormalizationForm_C;
    const QString whole = QString::fromUtf8(text.data(), qsizetype(text.size()));
    if (whole.normalized(form) == whole) {
        return;
    }
    // Normalise segment by segment (a starter and the marks that follow it), so each output
    // character can be aligned as Hugging Face does: output characters take the original
    // characters in order, the first one that differs absorbs the characters a composition
    // removed, and characters a decomposition added share the alignment before them.
    const std::vector<CharAt> chars = charsOf(text);
    NormalizedText out;
    out.text.reserve(text.size());
    size_t i = 0;
    while (i < chars.size()) {
        size_t j = i + 1;
        while (j < chars.size() && QChar::combiningClass(uint(chars[j].codePoint)) != 0) {
            ++j;
        }
        QString segment;
        for (size_t k = i; k < j; ++k) {
            segment.append(QString::fromUcs4(&chars[k].codePoint, 1));
        }
        const QString normalized = segment.normalized(form);
        std::vector<char32_t> outChars;
        for (const char32_t c : normalized.toUcs4()) {
            outChars.push_back(c);
        }
        const size_t inCount = j - i;
        size_t cursor = i;
        bool absorbed = false;
        uint32_t lastBegin = alignBegin[chars[i].byte];
        uint32_t lastEnd = alignEnd[chars[i].byte];
        for (size_t k = 0; k < outChars.size(); ++k) {
            uint32_t b = lastBegin;
            uint32_t e = lastEnd;
            const bool inserted = cursor >= j;
            if (!inserted) {
                b = alignBegin[chars[cursor].byte];
                e = alignEnd[chars[cursor].byte];
                const bool same = outChars[k] == chars[cursor].codePoint;
                ++cursor;
                if (!same && !absorbed && outChars.size() < inCount) {
                    cursor += inCount - outChars.size();
                    absorbed = true;
                }
            }
            const size_t before = out.text.size();
            appendUtf8(out.text, outChars[k]);
            const size_t added = out.text.size() - before;
            out.alignBegin.insert(out.alignBegin.end(), added, b);
            out.alignEnd.insert(out.alignEnd.end(), added, e);
            lastBegin = b;
            lastEnd = e;
        }
        i = j;
    }
    *this = std::move(out);
}

void NormalizedText::lowercase()
{
    if (isAscii(text)) {
        for (char &c : text) {
            if (c >= 'A' && c <= 'Z') {
                c = char(c - 'A' + 'a');
            }
        }
        return;
    }
    NormalizedText out;
    out.text.reserve(text.size());
    for (const CharAt &c : charsOf(text)) {
        const size_t before = out.text.size();
        appendUtf8(out.text, QChar::toLower(uint(c.codePoint)));
        const size_t added = out.text.size() - before;
        out.alignBegin.insert(out.alignBegin.end(), added, alignBegin[c.byte]);
        out.alignEnd.insert(out.alignEnd.end(), added, alignEnd[c.byte]);
    }
    *this = std::move(out);
}

}  // namespace gyrus::tokenizer
