// TorchEngineClient's feature search (the Features dock's search box) and the concept-vs-features
// steering sweep (the Steering dock): thin adapters over gpu/analysis/feature_search.h and
// gpu/sae/steering/concept_sweep.h, the code of `gyrus-cli search-features` and `concept-sweep`.
// The sweep is a stepper driven one piece per slice (progress with ETA, cancel between pieces,
// other requests served meanwhile).

#include "gpu/analysis/concept_vector.h"
#include "gpu/analysis/corpus_scan.h"
#include "gpu/analysis/feature_search.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/stepped_job.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/concept_sweep.h"

namespace gyrus::gpu {

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
                    if (source.pooling == Pooling::Window) {
                        *status = Status::invalidInput(
                                QStringLiteral("concept vector: pooling '%1' does not give one "
                                               "vector per item")
                                        .arg(nameOf(source.pooling)));
                        return JobStep::Done;
                    }
                    ConceptVectorOptions options;
                    options.hookName = state->sae->config().hookName;
                    options.pooling = source.pooling;
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
    SteppedJob<ConceptSweepRun> job;
    job.name = QStringLiteral("concept vs features sweep");
    job.tag = QStringLiteral("steer-concept-sweep");
    job.during = QStringLiteral("the sweep");
    job.start = [request](EngineState &state) {
        return ConceptSweepRun::start(*state.model, state.sae, request);
    };
    job.stage = [](const ConceptSweepRun &run) { return run.stage(); };
    job.finish = [this](ConceptSweepRun &run, JobContext &context) {
        Q_EMIT conceptSweepReady(context.id(), run.result());
        return Status::ok();
    };
    return m_runner.submit(steppedJob(m_state, std::move(job)));
}

}  // namespace gyrus::gpu
