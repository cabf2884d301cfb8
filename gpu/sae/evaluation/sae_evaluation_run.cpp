#include "gpu/sae/evaluation/sae_evaluation_run.h"

#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_cache.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/activation_stream.h"
#include "gpu/sae/evaluation/sae_ce_recovery.h"
#include "gpu/sae/evaluation/sae_evaluation.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"

#include <QTemporaryDir>

namespace gyrus::gpu {

namespace {

enum class Stage
{
    LoadSae,
    CacheActivations,
    Reconstruction,
    Splice,
    Finished,
};

}  // namespace

struct SaeEvaluationRun::Impl
{
    const LanguageModel *model = nullptr;
    SaeEvalRequest request;
    Stage stage = Stage::LoadSae;
    std::shared_ptr<detail::SaeModule> sae;
    std::unique_ptr<QTemporaryDir> scratch;  // the held-out activations
    SaeEvalResult result;

    QString cachePath() const { return scratch->filePath(QStringLiteral("heldout.h5")); }

    Status loadSae(const StepProgress &report);
    Status cacheActivations(const StepProgress &report);
    Status reconstruction(const StepProgress &report);
    Status splice();
};

std::unique_ptr<SaeEvaluationRun> SaeEvaluationRun::start(const LanguageModel &model,
                                                          const SaeEvalRequest &request)
{
    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->request = request;
    return std::unique_ptr<SaeEvaluationRun>(new SaeEvaluationRun(std::move(impl)));
}

SaeEvaluationRun::SaeEvaluationRun(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

SaeEvaluationRun::~SaeEvaluationRun() = default;

bool SaeEvaluationRun::isFinished() const
{
    return m_impl->stage == Stage::Finished;
}

const SaeEvalResult &SaeEvaluationRun::result() const
{
    return m_impl->result;
}

Status SaeEvaluationRun::step(const StepProgress &report)
{
    Impl &run = *m_impl;
    Status stepped;
    switch (run.stage) {
        case Stage::LoadSae:
            stepped = run.loadSae(report);
            run.stage = Stage::CacheActivations;
            break;
        case Stage::CacheActivations:
            stepped = run.cacheActivations(report);
            run.stage = Stage::Reconstruction;
            break;
        case Stage::Reconstruction:
            stepped = run.reconstruction(report);
            run.stage = Stage::Splice;
            break;
        case Stage::Splice:
            stepped = run.splice();
            run.stage = Stage::Finished;
            break;
        case Stage::Finished:
            return Status::internal(QStringLiteral("the SAE evaluation has finished"));
    }
    if (!stepped.isOk()) {
        run.stage = Stage::Finished;
    }
    if (run.stage == Stage::Finished) {
        run.scratch.reset();
        run.sae.reset();
    }
    return stepped;
}

// Loads the SAE and checks that it reads a hook of the model.
Status SaeEvaluationRun::Impl::loadSae(const StepProgress &report)
{
    Result<std::shared_ptr<detail::SaeModule>> loaded =
            gpu::loadSae(request.saePath, request.device);
    if (!loaded) {
        return loaded.status();
    }
    sae = std::move(loaded).value();
    const SaeConfig &config = sae->config();
    if (!model->info().hookNames.contains(config.hookName)) {
        return Status::invalidInput(
                QStringLiteral("%1: its hook '%2' is not a hook point of the loaded model")
                        .arg(request.saePath, config.hookName));
    }
    scratch = std::make_unique<QTemporaryDir>();
    if (!scratch->isValid()) {
        return Status::internal(
                QStringLiteral("cannot create a temporary directory for the held-out activations"));
    }
    result.saePath = request.saePath;
    result.hookName = config.hookName;
    report(0.02, QStringLiteral("loaded the SAE"));
    return Status::ok();
}

// The held-out activations at the SAE's hook.
Status SaeEvaluationRun::Impl::cacheActivations(const StepProgress &report)
{
    ActivationCacheOptions options;
    options.corpusPath = request.textPath;
    options.hookName = result.hookName;
    options.contextLength = request.contextLength;
    options.tokenBudget = request.tokens;
    options.outPath = cachePath();
    Result<ActivationCacheResult> cached =
            gpu::cacheActivations(*model, options, [&report](double fraction) {
                return report(0.02 + 0.48 * fraction, QStringLiteral("held-out activations"));
            });
    return cached ? Status::ok() : cached.status();
}

// Reconstruction and sparsity on the held-out activations.
Status SaeEvaluationRun::Impl::reconstruction(const StepProgress &report)
{
    Result<std::shared_ptr<detail::ActivationSource>> source =
            openActivationFile(cachePath(), QStringLiteral("activations"), false, 0);
    if (!source) {
        return source.status();
    }
    Result<SaeEvalMetrics> metrics =
            gpu::evaluateSae(*sae, *source.value(), request.tokens, 4096, request.device);
    if (!metrics) {
        return metrics.status();
    }
    static_cast<SaeEvalMetrics &>(result) = metrics.value();
    report(0.6, QStringLiteral("CE-loss recovered"));
    return Status::ok();
}

// Cross-entropies with the SAE spliced into the model at its hook.
Status SaeEvaluationRun::Impl::splice()
{
    SpliceEvalOptions options;
    options.corpusPath = request.textPath;
    options.hookName = result.hookName;
    options.contextLength = request.contextLength;
    options.maxSequences = request.sequences;
    Result<SpliceEvalResult> spliced = evaluateSaeSplice(*model, *sae, options);
    if (!spliced) {
        return spliced.status();
    }
    result.ceTokens = spliced->tokens;
    result.ceOriginal = spliced->ceOriginal;
    result.ceSae = spliced->ceSae;
    result.ceZero = spliced->ceZero;
    result.ceWithError = spliced->ceWithError;
    result.klSae = spliced->klSae;
    result.ceLossRecovered = spliced->ceLossRecovered;
    return Status::ok();
}

}  // namespace gyrus::gpu
