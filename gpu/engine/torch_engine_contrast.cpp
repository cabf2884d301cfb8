// The Contrasts dock's engine requests (a contrast per feature, the feature-wise RSA map, the
// method comparison): thin drivers of ContrastAnalysis (gpu/analysis/contrast_analysis.h), which
// keeps the representations in EngineState::contrastMemo for the dock's three tabs.

#include "gpu/analysis/contrast_analysis.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"

#include <QElapsedTimer>

#include <ATen/Parallel.h>

namespace gyrus::gpu {

namespace {

// The model and, for SAE features, an SAE that fits it.
Status requireFor(const EngineState &state, const ContrastSource &source)
{
    return source.saeFeatures ? state.requireSae() : state.requireModel();
}

ContrastInputs contrastInputs(EngineState &state)
{
    if (!state.contrastMemo) {
        state.contrastMemo = std::make_shared<ContrastMemo>();
    }
    return ContrastInputs{state.model.get(), state.modelEpoch,   state.sae,
                          state.saeEpoch,    state.saeInfo.name, state.saeInfo.hookName};
}

StepProgress reporter(JobContext &context)
{
    return [&context](double fraction, const QString &stage) {
        context.reportProgress(fraction, stage);
        return !context.isCancelled();
    };
}

// A contrast or a map: one step, the representations and the result, in one slice.
Status runAtOnce(EngineState &state, const ContrastSource &source, JobContext &context,
                 std::unique_ptr<ContrastAnalysis> (*start)(const ContrastInputs &,
                                                            const ContrastSource &,
                                                            std::shared_ptr<ContrastMemo>),
                 std::unique_ptr<ContrastAnalysis> *analysis)
{
    if (Status ready = requireFor(state, source); !ready.isOk()) {
        return ready;
    }
    const ContrastInputs inputs = contrastInputs(state);
    *analysis = start(inputs, source, state.contrastMemo);
    return (*analysis)->step(reporter(context));
}

}  // namespace

RequestId TorchEngineClient::runContrast(const ContrastSource &source)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{QStringLiteral("contrast"), QStringLiteral("contrast"),
                               [this, state, source](JobContext &context, Status *status) {
                                   std::unique_ptr<ContrastAnalysis> analysis;
                                   *status = runAtOnce(*state, source, context,
                                                       &ContrastAnalysis::startContrast, &analysis);
                                   if (status->isOk()) {
                                       Q_EMIT contrastReady(context.id(), analysis->contrast());
                                   }
                                   return JobStep::Done;
                               }});
}

RequestId TorchEngineClient::computeFeatureRsaMap(const ContrastSource &source)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(
            Job{QStringLiteral("feature RSA map"), QStringLiteral("feature-rsa-map"),
                [this, state, source](JobContext &context, Status *status) {
                    std::unique_ptr<ContrastAnalysis> analysis;
                    *status = runAtOnce(*state, source, context,
                                        &ContrastAnalysis::startFeatureRsaMap, &analysis);
                    if (status->isOk()) {
                        Q_EMIT featureRsaMapReady(context.id(), analysis->featureRsaMap());
                    }
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::compareMethods(const MethodComparisonRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<std::unique_ptr<ContrastAnalysis>>();
    return m_runner.submit(
            Job{QStringLiteral("compare methods"), QString(),
                [this, state, run, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (!*run) {  // first slice: check, then the representations
                        auto started = ContrastAnalysis::startMethodComparison(
                                contrastInputs(*state), request, state->contrastMemo);
                        *status = started ? requireFor(*state, request.source) : started.status();
                        if (status->isOk()) {
                            *run = std::move(started).value();
                            *status = (*run)->step(reporter(context));
                        }
                        return status->isOk() ? JobStep::Continue : JobStep::Done;
                    }
                    // Slices of about 100 ms, so that other requests are served in between.
                    ContrastAnalysis &analysis = **run;
                    QElapsedTimer slice;
                    slice.start();
                    while (status->isOk() && !analysis.isFinished() && slice.elapsed() < 100) {
                        *status = analysis.step(reporter(context), at::get_num_threads());
                    }
                    if (!status->isOk()) {
                        return JobStep::Done;
                    }
                    if (!analysis.isFinished()) {
                        return JobStep::Continue;
                    }
                    Q_EMIT methodComparisonReady(context.id(), analysis.methodComparison());
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::gpu
