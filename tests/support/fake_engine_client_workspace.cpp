// FakeEngineClient: the workspace requests (SAE evaluation).

#include "tests/support/fake_engine_client.h"

#include <QThread>

#include <memory>

namespace gyrus::test {

SaeEvalResult FakeEngineClient::evaluationFor(const SaeEvalRequest &request)
{
    SaeEvalResult result;
    result.saePath = request.saePath;
    result.hookName = QStringLiteral("blocks.2.hook_resid_post");
    result.tokens = request.tokens;
    result.explainedVariance = 0.91;
    result.mse = 0.02;
    result.l0 = 32;
    result.deadFraction = 0.01;
    result.denseFraction = 0.002;
    result.ceTokens = qint64(request.sequences) * request.contextLength;
    result.ceOriginal = 4.4;
    result.ceSae = 4.6;
    result.ceZero = 7.4;
    result.ceWithError = 4.4;
    result.klSae = 0.2;
    result.ceLossRecovered = (result.ceZero - result.ceSae) / (result.ceZero - result.ceOriginal);
    return result;
}

RequestId FakeEngineClient::evaluateSae(const SaeEvalRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("evaluate-sae ") + request.saePath;
    }
    auto slice = std::make_shared<int>(0);
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("evaluate SAE"), QString(),
            [this, request, slice, sliceMs](JobContext &context, Status *status) {
                if (request.saePath.contains(QLatin1String("missing"))) {
                    *status = Status::notFound(request.saePath + QStringLiteral(": no cfg.json"));
                    return JobStep::Done;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                QThread::msleep(static_cast<unsigned long>(sliceMs));
                context.reportProgress(double(++*slice) / 3);
                if (*slice < 3) {
                    return JobStep::Continue;
                }
                Q_EMIT saeEvaluated(context.id(), evaluationFor(request));
                return JobStep::Done;
            }});
}

RequestId FakeEngineClient::chat(const ChatRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("chat ") +
                         (request.messages.isEmpty() ? QString() : request.messages.last().content);
    }
    const QString answer = m_chatAnswer;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(
            Job{QStringLiteral("chat"), QString(),
                [this, answer, sliceMs](JobContext &context, Status *status) {
                    if (!m_hasModel) {
                        *status = Status::invalidInput(QStringLiteral("no model loaded"));
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    QThread::msleep(static_cast<unsigned long>(sliceMs));
                    Q_EMIT chatReplied(context.id(), ChatReply{answer, QStringLiteral("fake-model"),
                                                               QStringLiteral("stop"), 1});
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::test
