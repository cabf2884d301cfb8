#include "core/steering/word_diff.h"

#include <vector>

namespace gyrus {

QStringList splitWords(const QString &text)
{
    QStringList words;
    QString current;
    bool inSpace = true;  // leading whitespace stays a segment of its own
    for (const QChar c : text) {
        const bool space = c.isSpace();
        if (!space && inSpace && !current.isEmpty()) {
            words << current;
            current.clear();
        }
        current += c;
        inSpace = space;
    }
    if (!current.isEmpty()) {
        words << current;
    }
    return words;
}

namespace {

void append(QList<DiffSegment> &segments, DiffSegment::Kind kind, const QString &text)
{
    if (!segments.isEmpty() && segments.back().kind == kind) {
        segments.back().text += text;
    } else {
        segments.append(DiffSegment{kind, text});
    }
}

}  // namespace

QList<DiffSegment> wordDiff(const QString &before, const QString &after)
{
    const QStringList a = splitWords(before);
    const QStringList b = splitWords(after);
    QList<DiffSegment> segments;
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    if (n > 4000 || m > 4000) {
        append(segments, DiffSegment::Kind::Removed, before);
        append(segments, DiffSegment::Kind::Added, after);
        return segments;
    }
    // Words compare without their trailing whitespace; the output keeps each side's own.
    const auto word = [](const QString &w) { return w.trimmed(); };
    // lcs[i][j]: length of the LCS of a[i..] and b[j..].
    std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            lcs[i][j] = word(a[i]) == word(b[j]) ? lcs[i + 1][j + 1] + 1
                                                 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
        }
    }
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && word(a[i]) == word(b[j])) {
            append(segments, DiffSegment::Kind::Same, b[j]);
            ++i;
            ++j;
        } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
            append(segments, DiffSegment::Kind::Removed, a[i++]);  // removals before additions
        } else {
            append(segments, DiffSegment::Kind::Added, b[j++]);
        }
    }
    return segments;
}

}  // namespace gyrus
