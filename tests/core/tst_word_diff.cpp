// The word diff the steering dock shows between the baseline and the steered continuation.

#include "core/steering/word_diff.h"

#include <QtTest>

using namespace gyrus;
using Kind = DiffSegment::Kind;

namespace {

QString joined(const QList<DiffSegment> &segments, Kind skip)
{
    QString text;
    for (const DiffSegment &segment : segments) {
        if (segment.kind != skip) {
            text += segment.text;
        }
    }
    return text;
}

}  // namespace

class TestWordDiff : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void splitsWordsWithTheirTrailingSpace()
    {
        QCOMPARE(splitWords(QStringLiteral("  the  court said.")),
                 (QStringList{QStringLiteral("  "), QStringLiteral("the  "),
                              QStringLiteral("court "), QStringLiteral("said.")}));
        QVERIFY(splitWords(QString()).isEmpty());
    }

    void marksOnlyTheChangedWords()
    {
        const QString before = QStringLiteral(" the court said that the jury was");
        const QString after = QStringLiteral(" the city said that a jury was not");
        const QList<DiffSegment> diff = wordDiff(before, after);
        QCOMPARE(joined(diff, Kind::Removed), after);
        QCOMPARE(diff, (QList<DiffSegment>{{Kind::Same, QStringLiteral(" the ")},
                                           {Kind::Removed, QStringLiteral("court ")},
                                           {Kind::Added, QStringLiteral("city ")},
                                           {Kind::Same, QStringLiteral("said that ")},
                                           {Kind::Removed, QStringLiteral("the ")},
                                           {Kind::Added, QStringLiteral("a ")},
                                           {Kind::Same, QStringLiteral("jury was ")},
                                           {Kind::Added, QStringLiteral("not")}}));
    }

    void identicalAndEmptyTexts()
    {
        QCOMPARE(wordDiff(QStringLiteral("a b"), QStringLiteral("a b")),
                 (QList<DiffSegment>{{Kind::Same, QStringLiteral("a b")}}));
        QCOMPARE(wordDiff(QString(), QStringLiteral("new")),
                 (QList<DiffSegment>{{Kind::Added, QStringLiteral("new")}}));
        QCOMPARE(wordDiff(QStringLiteral("old"), QString()),
                 (QList<DiffSegment>{{Kind::Removed, QStringLiteral("old")}}));
    }
};

QTEST_GUILESS_MAIN(TestWordDiff)
#include "tst_word_diff.moc"
