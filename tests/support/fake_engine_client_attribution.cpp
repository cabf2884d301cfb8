// FakeEngineClient's Attribution dock requests: no stand-in numbers (an attribution only means
// something on a real model; tests/app/tst_attribution_panel runs the demo model), but the
// engine's shape: asynchronous, one finished() per request.

#include "tests/support/fake_engine_client.h"

namespace gyrus::test {

namespace {

Job unsupported(const QString &name)
{
    return Job{name, QString(), [name](JobContext &, Status *status) {
                   *status = Status::invalidInput(
                           QStringLiteral("the fake engine does not compute %1").arg(name));
                   return JobStep::Done;
               }};
}

}  // namespace

RequestId FakeEngineClient::attribute(const AttributionRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("attribution")));
}

RequestId FakeEngineClient::verifyAttribution(const AblationRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("ablations")));
}

RequestId FakeEngineClient::computeLogitLens(const LogitLensRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("a logit lens")));
}

RequestId FakeEngineClient::computeAttention(const AttentionRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("attention patterns")));
}

}  // namespace gyrus::test
