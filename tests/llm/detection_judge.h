#pragma once
// A detection judge whose every vote is known: it reads the "Example i: text" lines of a
// detection prompt (core/llm/scoring.cpp) and votes 1 for the examples `active` accepts, so a
// score computed from its answers has an exact expected value, and two runs that show it the
// same examples get the same answers whatever order their requests take.

#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <functional>

namespace gyrus::test {

using DetectionRule = std::function<bool(const QString &exampleText, qint64 seed)>;

inline QString detectionAnswer(const QString &prompt, qint64 seed, const DetectionRule &active)
{
    static const QRegularExpression line(QStringLiteral("^Example \\d+: (.*)$"),
                                         QRegularExpression::MultilineOption);
    QStringList votes;
    for (auto it = line.globalMatch(prompt); it.hasNext();) {
        votes << (active(it.next().captured(1), seed) ? QStringLiteral("1") : QStringLiteral("0"));
    }
    return QLatin1Char('[') + votes.join(QStringLiteral(", ")) + QLatin1Char(']');
}

/// For FakeEngineClient's examples of `feature`: its top examples ("The jury said f7 was
/// fair.") are recognised, its quantile examples ("It rained bin2 all day.") too except the
/// lowest bin's, which only odd seeds (every second repeat) recognise; nothing else is.
inline DetectionRule fakeFeatureRule(int feature)
{
    return [feature](const QString &text, qint64 seed) {
        if (text.contains(QStringLiteral(" f%1 ").arg(feature))) {
            return true;
        }
        if (text.contains(QStringLiteral(" bin0 "))) {
            return seed % 2 == 1;
        }
        return text.contains(QStringLiteral(" bin"));
    };
}

}  // namespace gyrus::test
