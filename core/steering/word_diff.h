#pragma once
// A word-level diff of two texts (the steering dock compares the baseline and the steered
// continuation): longest common subsequence over words (compared without whitespace), each word
// keeping the whitespace after it, so the Same and Added segments join to the second text.

#include <QList>
#include <QString>

namespace gyrus {

struct DiffSegment
{
    enum class Kind
    {
        Same,     ///< in both texts
        Removed,  ///< only in the first (baseline)
        Added,    ///< only in the second (steered)
    };

    Kind kind = Kind::Same;
    QString text;

    bool operator==(const DiffSegment &o) const { return kind == o.kind && text == o.text; }
};

/// Splits `text` into words, each with the whitespace that follows it (leading whitespace is a
/// segment of its own).
QStringList splitWords(const QString &text);

/// The segments that turn `before` into `after`; adjacent segments of one kind are merged.
/// Texts of more than 4,000 words each are compared as one removed and one added segment.
QList<DiffSegment> wordDiff(const QString &before, const QString &after);

}  // namespace gyrus
