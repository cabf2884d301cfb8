// TorchEngineClient's feature search (the Features dock's search box) and the concept-vs-features
// steering sweep (the Steering dock): thin adapters over gpu/analysis/feature_search.h and
// gpu/sae/concept_sweep.h, the code of `gyrus-cli search-features` and `concept-sweep`. The sweep
// is a stepper driven one piece per slice (progress with ETA, cancel between pieces, other
// requests served meanwhile).

#include "core/remaining_time.h"
#include "gpu/analysis/concept_vector.h"
#include "gpu/analysis/corpus_scan.h"
#include "gpu/analysis/feature_search.h"
#include "gpu/detail/sae_module.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/concept_sweep.h"

#include <QElapsedTimer>

namespace gyrus::gpu {

namespace {

QString withEta(const QString &stage, double fraction, const QElapsedTimer &clock)
{
    if (fraction <= 0.0 || !clock.isValid()) {
        return stage;
    }
    return QStringLiteral("%1 · %2").arg(
            stage, etaText(remainingSeconds(fraction, clock.elapsed() / 1000.0)));
}

}  // namespace

RequestId TorchEngineClient::searchFeatures(const FeatureSearchRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("feature search"), QStringLiteral("feature-search"),
            [this, state, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (Status ready = state->requireSae(); !ready.isOk()) {
                    *status = ready;
                    return JobStep::Done;
                }
                FeatureSearchQuery query = request.query;
                FeatureSearchResult out;
                if (request.concept) {
                    const ConceptSource &source = *request.concept;
                    const std::optional<Pooling> pooling = fromName<Pooling>(source.pooling);
                    if (!pooling || *pooling == Pooling::Window) {
                        *status = Status::invalidInput(
                                QStringLiteral("concept vector: unknown pooling '%1'")
                                        .arg(source.pooling));
                        return JobStep::Done;
                    }
                    ConceptVectorOptions options;
                    options.hookName = state->sae->config().hookName;
                    options.pooling = *pooling;
                    options.sideA = source.sideA;
                    options.sideB = source.sideB;
                    options.topFeatures = 0;
                    context.reportProgress(0.0, QStringLiteral("concept vector"));
                    Result<ConceptVector> concept =
                            conceptVector(*state->model, source.set, options);
                    if (!concept) {
                        *status = concept.status();
                        return JobStep::Done;
                    }
                    query.concept = concept->direction;
                    out.conceptLabel =
                            QStringLiteral("%1 − %2").arg(concept->sideA, concept->sideB);
                }
                FeatureSearchSources sources;
                sources.model = state->model.get();
                sources.sae = state->sae.get();
                sources.scan = state->hasScanForCurrentSae() ? state->scan.get() : nullptr;
                sources.notes = request.notes;
                Result<std::vector<FeatureSearchHit>> hits = gpu::searchFeatures(sources, query);
                if (!hits) {
                    *status = hits.status();
                    return JobStep::Done;
                }
                out.hits = QList<FeatureSearchHit>(hits->begin(), hits->end());
                Q_EMIT featureSearchReady(context.id(), out);
                return JobStep::Done;
            }});
}

RequestId TorchEngineClient::sweepConceptSteering(const ConceptSweepRequest &request)
{
    struct Run
    {
        std::unique_ptr<ConceptSweepRun> stepper;
        quint64 modelEpoch = 0;
        quint64 saeEpoch = 0;
        QElapsedTimer clock;
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(
            Job{QStringLiteral("concept vs features sweep"), QStringLiteral("steer-concept-sweep"),
                [this, state, run, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (!run->stepper) {
                        if (Status ready = state->requireSae(); !ready.isOk()) {
                            *status = ready;
                            return JobStep::Done;
                        }
                        Result<std::unique_ptr<ConceptSweepRun>> started =
                                ConceptSweepRun::start(*state->model, state->sae, request);
                        if (!started) {
                            *status = started.status();
                            return JobStep::Done;
                        }
                        run->stepper = std::move(started).value();
                        run->modelEpoch = state->modelEpoch;
                        run->saeEpoch = state->saeEpoch;
                        run->clock.start();
                    }
                    if (state->modelEpoch != run->modelEpoch || state->saeEpoch != run->saeEpoch) {
                        *status = Status::cancelled(
                                QStringLiteral("the model or SAE was replaced during the sweep"));
                        return JobStep::Done;
                    }
                    if (Status stepped = run->stepper->step(); !stepped.isOk()) {
                        *status = stepped;
                        return JobStep::Done;
                    }
                    const double fraction = run->stepper->fraction();
                    context.reportProgress(fraction,
                                           withEta(run->stepper->stage(), fraction, run->clock));
                    if (!run->stepper->isFinished()) {
                        return JobStep::Continue;
                    }
                    Q_EMIT conceptSweepReady(context.id(), run->stepper->result());
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::gpu
