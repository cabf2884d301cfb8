// TorchEngineClient::cacheActivations: the SAE training dock's "Create activation cache", a thin
// adapter over ActivationCacheRun, the stepper `gyrus-cli cache` runs to the end, so the dock's
// file equals the CLI's for the same inputs.

#include "core/base/remaining_time.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/activations/activation_cache.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

namespace gyrus::gpu {

namespace {

// The file grows next to its destination under this name and is renamed when complete, so a
// cancelled, failed or killed run never leaves a half-written cache where the user asked for one.
QString partialPathOf(const QString &outPath)
{
    return outPath + QStringLiteral(".partial");
}

QString cachingStage(const ActivationCacheRun &cache, double etaSeconds)
{
    return QStringLiteral("stage 2 of 2: caching activations, %1 / %2 rows · %3")
            .arg(cache.rowsDone())
            .arg(cache.rows())
            .arg(etaText(etaSeconds));
}

}  // namespace

RequestId TorchEngineClient::cacheActivations(const ActivationCacheRequest &request)
{
    struct Run
    {
        std::unique_ptr<ActivationCacheRun> cache;
        quint64 modelEpoch = 0;
        QString partialPath;
        QElapsedTimer total;
        // Started after the first batch: tokenising the corpus and the first forward's warm-up
        // are not the pace of the rest.
        QElapsedTimer pace;
        double fractionAtPace = 0;
        bool complete = false;

        void discard()
        {
            cache.reset();
            if (!complete && !partialPath.isEmpty()) {
                QFile::remove(partialPath);
            }
        }

        ~Run() { discard(); }
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("cache activations"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    run->discard();
                    return JobStep::Done;
                }
                if (!run->cache) {
                    if (Status ready = state->requireModel(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    if (request.outPath.isEmpty()) {
                        *status = Status::invalidInput(
                                QStringLiteral("choose where to write the activation cache"));
                        return JobStep::Done;
                    }
                    if (QFileInfo::exists(request.outPath) && !request.overwrite) {
                        *status = Status::invalidInput(
                                QStringLiteral("%1: exists; choose another file or replace it")
                                        .arg(request.outPath));
                        return JobStep::Done;
                    }
                    context.reportProgress(
                            0.0,
                            QStringLiteral("stage 1 of 2: tokenising %1").arg(request.corpusPath));
                    run->total.start();
                    ActivationCacheOptions options;
                    options.corpusPath = request.corpusPath;
                    options.hookName = request.hookName;
                    options.contextLength = request.contextLength;
                    options.tokenBudget = request.tokens;
                    options.batchSequences = request.batchSequences;
                    options.storage = request.float32 ? ActivationStorage::Float32
                                                      : ActivationStorage::Float16;
                    options.outPath = partialPathOf(request.outPath);
                    options.overwrite = true;  // a leftover .partial is never continued
                    run->partialPath = options.outPath;
                    Result<std::unique_ptr<ActivationCacheRun>> started =
                            ActivationCacheRun::start(*state->model, options);
                    if (!started) {
                        *status = started.status();
                        run->discard();
                        return JobStep::Done;
                    }
                    run->cache = std::move(started).value();
                    run->modelEpoch = state->modelEpoch;
                    return JobStep::Continue;
                }
                if (state->modelEpoch != run->modelEpoch) {
                    run->discard();
                    *status = Status::cancelled(
                            QStringLiteral("the model was replaced while caching activations"));
                    return JobStep::Done;
                }
                ActivationCacheRun &cache = *run->cache;
                // About 150 ms of batches: requests queued meanwhile wait little.
                QElapsedTimer slice;
                slice.start();
                do {
                    if (Status stepped = cache.step(); !stepped.isOk()) {
                        *status = stepped;
                        run->discard();
                        return JobStep::Done;
                    }
                    if (!run->pace.isValid()) {
                        run->pace.start();
                        run->fractionAtPace = cache.fraction();
                    }
                } while (!cache.isFinished() && slice.elapsed() < 150 && !context.isCancelled());
                if (!cache.isFinished()) {
                    const double span = 1.0 - run->fractionAtPace;
                    const double paced =
                            span > 0 ? (cache.fraction() - run->fractionAtPace) / span : 0.0;
                    const double eta = remainingSeconds(paced, run->pace.elapsed() / 1000.0);
                    context.reportProgress(cache.fraction(), cachingStage(cache, eta));
                    return JobStep::Continue;
                }
                ActivationCacheOutcome outcome;
                outcome.outPath = request.outPath;
                outcome.rows = cache.result().rows;
                outcome.columns = cache.result().columns;
                outcome.documents = cache.result().documents;
                run->cache.reset();
                if (QFileInfo::exists(request.outPath) && !QFile::remove(request.outPath)) {
                    *status = Status::invalidInput(
                            QStringLiteral("%1: cannot replace it").arg(request.outPath));
                    run->discard();
                    return JobStep::Done;
                }
                if (!QFile::rename(run->partialPath, request.outPath)) {
                    *status = Status::invalidInput(
                            QStringLiteral("%1: cannot move the finished cache there from %2")
                                    .arg(request.outPath, run->partialPath));
                    run->discard();
                    return JobStep::Done;
                }
                run->complete = true;
                outcome.seconds = run->total.elapsed() / 1000.0;
                Q_EMIT activationsCached(context.id(), outcome);
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
