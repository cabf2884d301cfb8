// FakeEngineClient's steering requests: deterministic stand-ins with the engine's
// asynchronous shape (streams, one finished per request, slices with cancel).

#include "tests/support/fake_engine_client.h"

#include <QThread>

#include <cmath>
#include <memory>

namespace gyrus::test {

SteeringRequest FakeEngineClient::lastSteeringRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastSteering;
}

RequestId FakeEngineClient::steer(const SteeringRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("steer ") + request.prompt;
        m_lastSteering = request;
    }
    auto next = std::make_shared<int>(0);
    const QStringList tokens = m_tokens.mid(0, request.options.maxNewTokens);
    const int sliceMs = m_sliceMs;
    // Slices 0..n-1 stream the baseline, n..2n-1 the steered tokens.
    return m_runner.submit(
            Job{QStringLiteral("steer"), QStringLiteral("steer"),
                [this, next, tokens, sliceMs](JobContext &context, Status *status) {
                    if (!m_hasModel) {
                        *status = Status::invalidInput(QStringLiteral("no model loaded"));
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    const int n = static_cast<int>(tokens.size());
                    if (*next < 2 * n) {
                        QThread::msleep(static_cast<unsigned long>(sliceMs));
                        const bool steered = *next >= n;
                        const QString token = tokens.at(*next % n);
                        Q_EMIT steeringToken(
                                context.id(),
                                steered ? SteeringStream::Steered : SteeringStream::Baseline,
                                steered ? token.toUpper() : token);
                        ++*next;
                        return JobStep::Continue;
                    }
                    SteeringOutcome outcome;
                    outcome.baselineText = tokens.join(QString());
                    outcome.steeredText = tokens.join(QString()).toUpper();
                    Q_EMIT steeringFinished(context.id(), outcome);
                    return JobStep::Done;
                }});
}

RequestId FakeEngineClient::compareNextToken(const NextTokenRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("next-token ") + request.prompt;
    }
    int enabled = 0;
    for (const FeatureClamp &clamp : request.clamps.clamps) {
        enabled += clamp.enabled ? 1 : 0;
    }
    return m_runner.submit(Job{QStringLiteral("next token"), QStringLiteral("steer-next-token"),
                               [this, enabled](JobContext &context, Status *) {
                                   NextTokenShift shift;
                                   shift.tokens = {{1, QStringLiteral("a"), 0.6, 0.3},
                                                   {2, QStringLiteral("b"), 0.2, 0.5}};
                                   shift.kl = 0.1 * enabled;
                                   shift.promptTokens = 4;
                                   Q_EMIT nextTokenShift(context.id(), shift);
                                   return JobStep::Done;
                               }});
}

RequestId FakeEngineClient::sweepStrength(const StrengthSweepRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("sweep %1").arg(request.swept.feature);
    }
    auto next = std::make_shared<int>(0);
    const QList<double> values = request.values;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("strength sweep"), QStringLiteral("steer-sweep"),
            [this, next, values, sliceMs](JobContext &context, Status *) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (*next < values.size()) {
                    QThread::msleep(static_cast<unsigned long>(sliceMs));
                    const double v = values.at((*next)++);
                    Q_EMIT strengthSweepPoint(context.id(), StrengthSweepPoint{v, -v * v, v * v});
                    context.reportProgress(double(*next) / values.size());
                    return JobStep::Continue;
                }
                StrengthSweepResult result;
                result.targetId = 1;
                result.targetPiece = QStringLiteral("a");
                for (double v : values) {
                    result.points.append(StrengthSweepPoint{v, -v * v, v * v});
                }
                Q_EMIT strengthSweepFinished(context.id(), result);
                return JobStep::Done;
            }});
}

RequestId FakeEngineClient::featureRanges(const FeatureRangeRequest &request)
{
    const QList<int> features = request.features;
    return m_runner.submit(
            Job{QStringLiteral("feature ranges"), QStringLiteral("steer-ranges"),
                [this, features](JobContext &context, Status *) {
                    FeatureRanges ranges;
                    for (int f : features) {
                        ranges.ranges.append(FeatureRange{f, 0.0, f / 100.0, f / 200.0});
                    }
                    Q_EMIT featureRangesReady(context.id(), ranges);
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::test
