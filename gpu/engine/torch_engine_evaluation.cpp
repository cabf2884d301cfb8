// TorchEngineClient: the SAE training dock's evaluation card (issue 7). The same computation as
// `gyrus-cli cache` followed by `gyrus-cli sae eval --model --corpus`, in slices.

#include "core/logging.h"
#include "gpu/detail/activation_source.h"
#include "gpu/detail/sae_module.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/activation_cache.h"
#include "gpu/sae/activation_file.h"
#include "gpu/sae/sae_evaluation.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_splice.h"

#include <QDir>
#include <QTemporaryDir>

#include <optional>

namespace gyrus::gpu {

RequestId TorchEngineClient::evaluateSae(const SaeEvalRequest &request)
{
    struct Run
    {
        int stage = 0;
        std::shared_ptr<detail::SaeModule> sae;
        std::optional<quint64> modelEpoch;       // the model the evaluation runs on, once started
        std::unique_ptr<QTemporaryDir> scratch;  // the held-out activations, removed at the end
        SaeEvalResult result;
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
                if (run->modelEpoch && *run->modelEpoch != state->modelEpoch) {
                    *status = Status::cancelled(
                            QStringLiteral("evaluation stopped: the model was replaced"));
                    return JobStep::Done;
                }
                const LanguageModel &model = *state->model;
                const QString cachePath =
                        run->scratch ? run->scratch->filePath(QStringLiteral("heldout.h5"))
                                     : QString();
                switch (run->stage++) {
                    case 0: {  // load the SAE and check it fits the model
                        Result<std::shared_ptr<detail::SaeModule>> loaded =
                                gpu::loadSae(request.saePath, request.device);
                        if (!loaded) {
                            *status = loaded.status();
                            return JobStep::Done;
                        }
                        run->sae = std::move(loaded).value();
                        run->modelEpoch = state->modelEpoch;
                        const SaeConfig &config = run->sae->config();
                        if (!model.info().hookNames.contains(config.hookName)) {
                            *status = Status::invalidInput(
                                    QStringLiteral("%1: its hook '%2' is not a hook point of the "
                                                   "loaded model")
                                            .arg(request.saePath, config.hookName));
                            return JobStep::Done;
                        }
                        run->scratch = std::make_unique<QTemporaryDir>();
                        if (!run->scratch->isValid()) {
                            *status = Status::internal(
                                    QStringLiteral("cannot create a temporary directory for the "
                                                   "held-out activations"));
                            return JobStep::Done;
                        }
                        run->result.saePath = request.saePath;
                        run->result.hookName = config.hookName;
                        context.reportProgress(0.02, QStringLiteral("loaded the SAE"));
                        return JobStep::Continue;
                    }
                    case 1: {  // held-out activations at the SAE's hook
                        ActivationCacheOptions options;
                        options.corpusPath = request.textPath;
                        options.hookName = run->result.hookName;
                        options.contextLength = request.contextLength;
                        options.tokenBudget = request.tokens;
                        options.outPath = run->scratch->filePath(QStringLiteral("heldout.h5"));
                        Result<ActivationCacheResult> cached =
                                cacheActivations(model, options, [&context](double fraction) {
                                    context.reportProgress(0.02 + 0.48 * fraction,
                                                           QStringLiteral("held-out activations"));
                                    return !context.isCancelled();
                                });
                        if (!cached) {
                            *status = cached.status();
                            return JobStep::Done;
                        }
                        return JobStep::Continue;
                    }
                    case 2: {  // reconstruction and sparsity
                        Result<std::shared_ptr<detail::ActivationSource>> source =
                                openActivationFile(cachePath, QStringLiteral("activations"), false,
                                                   0);
                        if (!source) {
                            *status = source.status();
                            return JobStep::Done;
                        }
                        Result<SaeEvalMetrics> metrics = gpu::evaluateSae(
                                *run->sae, *source.value(), request.tokens, 4096, request.device);
                        if (!metrics) {
                            *status = metrics.status();
                            return JobStep::Done;
                        }
                        SaeEvalResult &r = run->result;
                        r.tokens = metrics->tokens;
                        r.explainedVariance = metrics->explainedVariance;
                        r.mse = metrics->mse;
                        r.l0 = metrics->l0;
                        r.deadFraction = metrics->deadFraction;
                        r.denseFraction = metrics->denseFraction;
                        context.reportProgress(0.6, QStringLiteral("CE-loss recovered"));
                        return JobStep::Continue;
                    }
                    default: {  // the SAE spliced into the model
                        SpliceEvalOptions options;
                        options.corpusPath = request.textPath;
                        options.hookName = run->result.hookName;
                        options.contextLength = request.contextLength;
                        options.maxSequences = request.sequences;
                        Result<SpliceEvalResult> splice =
                                evaluateSaeSplice(model, *run->sae, options);
                        if (!splice) {
                            *status = splice.status();
                            return JobStep::Done;
                        }
                        SaeEvalResult &r = run->result;
                        r.ceTokens = splice->tokens;
                        r.ceOriginal = splice->ceOriginal;
                        r.ceSae = splice->ceSae;
                        r.ceZero = splice->ceZero;
                        r.ceWithError = splice->ceWithError;
                        r.klSae = splice->klSae;
                        r.ceLossRecovered = splice->ceLossRecovered;
                        run->scratch.reset();
                        run->sae.reset();
                        qCInfo(lcEngine).noquote()
                                << QStringLiteral(
                                           "evaluated %1: explained variance %2, L0 %3, "
                                           "dead %4, CE-loss recovered %5")
                                           .arg(request.saePath)
                                           .arg(r.explainedVariance, 0, 'f', 3)
                                           .arg(r.l0, 0, 'f', 1)
                                           .arg(r.deadFraction, 0, 'f', 3)
                                           .arg(r.ceLossRecovered, 0, 'f', 3);
                        Q_EMIT saeEvaluated(context.id(), r);
                        return JobStep::Done;
                    }
                }
            }});
}

}  // namespace gyrus::gpu
