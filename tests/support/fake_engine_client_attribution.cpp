// FakeEngineClient's Attribution dock requests, feature search, patching and the concept sweep: no
// stand-in numbers (they only mean something on a real model; tests/app/tst_attribution_panel and
// tst_study_views run the demo model), but the engine's shape: asynchronous, one finished() per
// request.

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

RequestId FakeEngineClient::searchFeatures(const FeatureSearchRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("a feature search")));
}

RequestId FakeEngineClient::patchMinimalPairs(const PatchingRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("activation patching")));
}

RequestId FakeEngineClient::sweepConceptSteering(const ConceptSweepRequest &)
{
    return m_runner.submit(unsupported(QStringLiteral("a concept sweep")));
}

}  // namespace gyrus::test
