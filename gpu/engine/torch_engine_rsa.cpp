// The RSA dock's engine request: a thin driver of RsaPipeline (gpu/analysis/rsa_pipeline.h),
// one stage per slice, the permutation / bootstrap comparisons in slices of ~150 ms.

#include "core/base/logging.h"
#include "gpu/analysis/rsa_pipeline.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"

#include <QElapsedTimer>

namespace gyrus::gpu {

namespace {

// The model, and the SAE when the request reads its features or splices a clamp set.
Status requireFor(const EngineState &state, const RsaRequest &request)
{
    if (Status ready = state.requireModel(); !ready.isOk()) {
        return ready;
    }
    if (!request.saeFeatures && !request.intervention) {
        return Status::ok();
    }
    if (Status ready = state.requireSae(); !ready.isOk()) {
        return ready.withContext(request.intervention ? QStringLiteral("RDM under intervention")
                                                      : QStringLiteral("SAE features"));
    }
    return Status::ok();
}

}  // namespace

RequestId TorchEngineClient::computeRsa(const RsaRequest &request)
{
    struct Run
    {
        std::unique_ptr<RsaPipeline> pipeline;
        quint64 modelEpoch = 0;  // the model the pipeline runs
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(
            Job{QStringLiteral("RSA"), QStringLiteral("rsa"),
                [this, state, run, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (!run->pipeline) {
                        *status = requireFor(*state, request);
                        if (!status->isOk()) {
                            return JobStep::Done;
                        }
                        auto started = RsaPipeline::start(*state->model, state->sae, request);
                        if (!started) {
                            *status = started.status();
                            return JobStep::Done;
                        }
                        if (request.saeFeatures) {
                            *status = state->requireSae((*started)->hookName());
                            if (!status->isOk()) {
                                return JobStep::Done;
                            }
                        }
                        run->pipeline = std::move(started).value();
                        run->modelEpoch = state->modelEpoch;
                    }
                    RsaPipeline &pipeline = *run->pipeline;
                    if (pipeline.needsModel() && state->modelEpoch != run->modelEpoch) {
                        *status = Status::cancelled(
                                QStringLiteral("RSA stopped: the model was replaced"));
                        return JobStep::Done;
                    }
                    const StepProgress report = [&context](double fraction, const QString &stage) {
                        context.reportProgress(fraction, stage);
                        return !context.isCancelled();
                    };
                    // A stage per slice; the comparisons for ~150 ms, so a cancel or an interactive
                    // request waits little.
                    const bool comparing = pipeline.isComparing();
                    QElapsedTimer slice;
                    slice.start();
                    do {
                        *status = pipeline.step(report);
                    } while (comparing && status->isOk() && !pipeline.isFinished() &&
                             slice.elapsed() < 150 && !context.isCancelled());
                    if (!status->isOk() || context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (!pipeline.isFinished()) {
                        return JobStep::Continue;
                    }
                    const std::shared_ptr<RsaResult> result = pipeline.result();
                    qCInfo(lcEngine).noquote()
                            << QStringLiteral("RSA of %1: %2 items, %3 features, %4 model RDMs")
                                       .arg(request.set.displayName())
                                       .arg(result->rdm.size())
                                       .arg(result->featureCount)
                                       .arg(result->models.size());
                    Q_EMIT rsaComputed(context.id(), result);
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::gpu
