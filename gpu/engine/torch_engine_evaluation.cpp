// TorchEngineClient: the SAE training dock's evaluation card, a thin driver of SaeEvaluationRun
// (gpu/sae/evaluation/sae_evaluation_run.h): one of its four steps per slice.

#include "core/base/logging.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/evaluation/sae_evaluation_run.h"

namespace gyrus::gpu {

RequestId TorchEngineClient::evaluateSae(const SaeEvalRequest &request)
{
    struct Run
    {
        std::unique_ptr<SaeEvaluationRun> evaluation;
        quint64 modelEpoch = 0;  // the model the evaluation runs on
    };

    auto run = std::make_shared<Run>();
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("evaluate SAE"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (Status ready = state->requireModel(); !ready.isOk()) {
                    *status = ready.withContext(
                            QStringLiteral("evaluating an SAE needs the model it was trained on"));
                    return JobStep::Done;
                }
                if (!run->evaluation) {
                    run->evaluation = SaeEvaluationRun::start(*state->model, request);
                    run->modelEpoch = state->modelEpoch;
                } else if (run->modelEpoch != state->modelEpoch) {
                    *status = Status::cancelled(
                            QStringLiteral("evaluation stopped: the model was replaced"));
                    return JobStep::Done;
                }
                SaeEvaluationRun &evaluation = *run->evaluation;
                *status = evaluation.step([&context](double fraction, const QString &stage) {
                    context.reportProgress(fraction, stage);
                    return !context.isCancelled();
                });
                if (!status->isOk()) {
                    return JobStep::Done;
                }
                if (!evaluation.isFinished()) {
                    return JobStep::Continue;
                }
                const SaeEvalResult &r = evaluation.result();
                qCInfo(lcEngine).noquote()
                        << QStringLiteral(
                                   "evaluated %1: explained variance %2, L0 %3, dead %4, "
                                   "CE-loss recovered %5")
                                   .arg(request.saePath)
                                   .arg(r.explainedVariance, 0, 'f', 3)
                                   .arg(r.l0, 0, 'f', 1)
                                   .arg(r.deadFraction, 0, 'f', 3)
                                   .arg(r.ceLossRecovered, 0, 'f', 3);
                Q_EMIT saeEvaluated(context.id(), r);
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
