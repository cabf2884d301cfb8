// The RSA dock's engine request (issue 9 items 2 and 5): prompt set → representations → RDM,
// model RDMs, permutation/bootstrap comparisons, MDS; optionally the RDM under a clamp set.

#include "core/logging.h"
#include "core/model_rdm.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/mds.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/rdm_compute.h"
#include "gpu/analysis/rsa_compare.h"
#include "gpu/detail/clamp_hook.h"
#include "gpu/detail/hook_set.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/clamp_splice.h"

#include <QElapsedTimer>

#include <set>

namespace gyrus::gpu {

namespace {

// One RSA request's state between slices (engine thread only).
struct RsaRun
{
    int stage = 0;
    RsaRequest request;
    QList<int> order;   // rsaItemOrder(request.set)
    PromptSet ordered;  // request.set with its items in that order
    RepresentationOptions representation;
    PromptRepresentations plain;
    PromptRepresentations clamped;
    std::vector<int64_t> columns;  // the feature subset (empty: all)
    std::shared_ptr<RsaResult> result;
    int nextComparison = 0;                        // over models × (plain, clamped)
    std::unique_ptr<RsaComparisonRun> comparison;  // the one in progress
};

Result<RdmMetric> metricOf(const RsaRequest &request)
{
    const std::optional<RdmMetric> metric = parseRdmMetric(request.metric);
    if (!metric) {
        return Status::invalidInput(QStringLiteral("unknown metric '%1' (correlation, cosine, "
                                                   "euclidean, sqeuclidean)")
                                            .arg(request.metric));
    }
    return *metric;
}

// Level index of `factor` per row, -1 when the item has no level of it.
std::vector<int64_t> levelsOf(const PromptSet &set, const QList<int> &rows,
                              const PromptFactor &factor)
{
    std::vector<int64_t> levels;
    for (int item : rows) {
        levels.push_back(factor.levels.indexOf(set.items[item].levels.value(factor.name)));
    }
    return levels;
}

// The first stage: everything that can be checked before the model runs.
Status prepare(RsaRun &run, const EngineState &state)
{
    const RsaRequest &request = run.request;
    if (Status ready = state.requireModel(); !ready.isOk()) {
        return ready;
    }
    if (request.set.items.size() < 3) {
        return Status::invalidInput(QStringLiteral("%1: an RDM comparison needs at least 3 items, "
                                                   "the set has %2")
                                            .arg(request.set.displayName())
                                            .arg(request.set.items.size()));
    }
    if (request.saeFeatures || request.intervention) {
        if (Status ready = state.requireSae(); !ready.isOk()) {
            return ready.withContext(request.intervention ? QStringLiteral("RDM under intervention")
                                                          : QStringLiteral("SAE features"));
        }
    }
    if (Result<RdmMetric> metric = metricOf(request); !metric) {
        return metric.status();
    }
    if (!parseRsaMethod(request.comparisonMethod)) {
        return Status::invalidInput(
                QStringLiteral("unknown comparison '%1' (spearman, kendall_tau_a, pearson)")
                        .arg(request.comparisonMethod));
    }
    const std::optional<Pooling> pooling = poolingFromName(request.pooling);
    if (!pooling) {
        return Status::invalidInput(QStringLiteral("unknown pooling '%1'").arg(request.pooling));
    }
    run.representation.hookName = request.hookName;
    if (run.representation.hookName.isEmpty()) {
        if (!state.sae) {
            return Status::invalidInput(
                    QStringLiteral("choose a hook (no SAE is loaded to take "
                                   "its hook from)"));
        }
        run.representation.hookName = state.saeInfo.hookName;
    }
    if (request.saeFeatures) {
        if (Status atHook = state.requireSae(run.representation.hookName); !atHook.isOk()) {
            return atHook;
        }
    }
    run.representation.pooling = *pooling;
    run.representation.window = request.window;
    if (request.saeFeatures) {
        run.representation.sae = state.sae;
    }
    run.order = rsaItemOrder(request.set);
    run.ordered = request.set;
    run.ordered.items.clear();
    for (int item : run.order) {
        run.ordered.items << request.set.items[item];
    }
    return Status::ok();
}

// The feature subset's columns, checked against the representation's width.
Result<std::vector<int64_t>> chooseColumns(const RsaRun &run, const QList<int> &rows)
{
    const RsaRequest &request = run.request;
    const FloatMatrix &x = run.plain.values;
    if (request.subset == RsaFeatureSubset::All) {
        return std::vector<int64_t>{};
    }
    if (request.subset == RsaFeatureSubset::Explicit) {
        if (request.features.isEmpty()) {
            return Status::invalidInput(QStringLiteral(
                    "the feature list is empty (an empty clamp set?): add features or use all"));
        }
        std::vector<int64_t> columns;
        for (int feature : request.features) {
            if (feature < 0 || feature >= x.cols) {
                return Status::invalidInput(
                        QStringLiteral("feature %1 is outside the representation's %2 columns")
                                .arg(feature)
                                .arg(x.cols));
            }
            columns.push_back(feature);
        }
        return columns;
    }
    const std::optional<SelectionMethod> method = selectionMethodFromName(request.selectionMethod);
    if (!method) {
        return Status::invalidInput(
                QStringLiteral("unknown selection method '%1'").arg(request.selectionMethod));
    }
    const PromptSet &set = run.request.set;
    for (const PromptFactor &factor : set.factors) {
        if (factor.levels.size() != 2) {
            continue;
        }
        Result<std::vector<double>> scores = featureScores(x, levelsOf(set, rows, factor), *method);
        if (!scores) {
            return scores.status().withContext(
                    QStringLiteral("top-k selection on factor '%1'").arg(factor.name));
        }
        return topFeatures(*scores, std::min<int64_t>(std::max(1, request.topK), x.cols));
    }
    return Status::invalidInput(QStringLiteral("%1: top-k selection needs a factor with two levels")
                                        .arg(set.displayName()));
}

// The representations again with the clamp set spliced in at the SAE's hook (second stage). An
// empty set adds no hook, so the forward pass, and the RDM, are exactly the plain ones.
Status runClamped(RsaRun &run, const EngineState &state)
{
    const RsaRequest &request = run.request;
    if (Status valid = validateClampSet(request.clamps, state.saeInfo.dSae); !valid.isOk()) {
        return valid;
    }
    const gpu::ModelInfo info = state.model->info();
    detail::HookSet hooks;
    if (Status added = detail::addClampSplice(hooks, hookLayout(state.model->config()), state.sae,
                                              request.clamps);
        !added.isOk()) {
        return added;
    }
    if (!hooks.empty() && info.hookNames.indexOf(run.representation.hookName) <
                                  info.hookNames.indexOf(state.saeInfo.hookName)) {
        run.result->notes << QStringLiteral(
                                     "the clamp set acts at %1, after the hook read (%2): the "
                                     "RDM cannot change")
                                     .arg(state.saeInfo.hookName, run.representation.hookName);
    }
    RepresentationOptions options = run.representation;
    options.interventions = hooks.empty() ? nullptr : &hooks;
    Result<PromptRepresentations> clamped =
            promptRepresentations(*state.model, run.ordered, options);
    if (!clamped) {
        return clamped.status().withContext(QStringLiteral("under the clamp set"));
    }
    run.clamped = std::move(clamped).value();
    return Status::ok();
}

// RDMs, model RDMs and MDS from the representations (third stage).
Status analyse(RsaRun &run)
{
    RsaResult &result = *run.result;
    const RsaRequest &request = run.request;
    const PromptSet &set = request.set;
    QList<int> rows;  // index into set.items per kept row
    for (int kept : run.plain.items) {
        rows << run.order[kept];
    }
    result.items = rows;
    for (int item : rows) {
        result.texts << set.items[item].text;
        result.conditions << set.conditionOf(item);
    }
    result.notes << run.plain.notes;
    Result<std::vector<int64_t>> columns = chooseColumns(run, rows);
    if (!columns) {
        return columns.status();
    }
    run.columns = *columns;
    for (int64_t c : run.columns) {
        result.features << static_cast<int>(c);
    }
    result.featureCount =
            run.columns.empty() ? static_cast<int>(run.plain.values.cols) : result.features.size();
    if (request.subset == RsaFeatureSubset::TopK) {
        result.notes << QStringLiteral(
                "features chosen on these same items: the comparison with the categorical model "
                "is circular (optimistic); judge it on held-out items");
    }
    RdmOptions options;
    options.metric = *metricOf(request);
    options.featureSubset = run.columns;
    const QStringList ids = rsaItemIds(set, rows);
    Result<Rdm> rdm = computeRdm(run.plain.values, ids, options);
    if (!rdm) {
        return rdm.status().withContext(set.displayName());
    }
    result.rdm = std::move(rdm).value();
    if (request.intervention) {
        if (run.clamped.items != run.plain.items) {
            return Status::internal(QStringLiteral("the clamped run kept other items"));
        }
        Result<Rdm> clamped = computeRdm(run.clamped.values, ids, options);
        if (!clamped) {
            return clamped.status().withContext(QStringLiteral("under the clamp set"));
        }
        result.clampedRdm = std::move(clamped).value();
        result.hasIntervention = true;
    }
    for (const PromptFactor &factor : set.factors) {
        const std::vector<int64_t> levels = levelsOf(set, rows, factor);
        if (std::set<int64_t>(levels.begin(), levels.end()).size() < 2) {
            result.notes << QStringLiteral("factor '%1' has one level here: no model RDM")
                                    .arg(factor.name);
            continue;
        }
        Result<Rdm> model = categoricalModelRdm(ids, levels, factor.name);
        if (!model) {
            return model.status();
        }
        result.models << RsaModelFit{factor.name, std::move(model).value(), {}, {}};
    }
    if (set.factors.size() == 2 && set.factors[0].levels.size() == 2 &&
        set.factors[1].levels.size() == 2 && result.models.size() == 2) {
        Result<Rdm> model = interactionModelRdm(ids, levelsOf(set, rows, set.factors[0]),
                                                levelsOf(set, rows, set.factors[1]));
        if (model) {
            result.models << RsaModelFit{
                    set.factors[0].name + QStringLiteral(" × ") + set.factors[1].name,
                    std::move(model).value(),
                    {},
                    {}};
        }
    }
    Result<MdsEmbedding> mds = classicalMds(result.rdm, 2);
    if (!mds) {
        return mds.status();
    }
    result.mdsX = mds->coordinates[0];
    result.mdsY = mds->coordinates[1];
    result.mdsExplained = mds->explained;
    return Status::ok();
}

// Advances the model comparisons for up to ~150 ms; true when all are done (or cancelled).
bool compareSlice(RsaRun &r, JobContext &context)
{
    const RsaRequest &asked = r.request;
    QList<RsaModelFit> &models = r.result->models;
    const int perModel = asked.intervention ? 2 : 1;
    const int total = static_cast<int>(models.size()) * perModel;
    QElapsedTimer slice;
    slice.start();
    while (slice.elapsed() < 150 && !context.isCancelled()) {
        if (r.nextComparison >= total) {
            return true;
        }
        const int k = r.nextComparison;
        RsaModelFit &fit = models[k / perModel];
        const bool clamped = k % perModel == 1;
        if (!r.comparison) {
            RsaOptions options;
            options.method = *parseRsaMethod(asked.comparisonMethod);
            options.permutations = std::max(0, asked.permutations);
            options.bootstraps = std::max(0, asked.bootstraps);
            options.seed = asked.seed;
            Result<std::unique_ptr<RsaComparisonRun>> started = RsaComparisonRun::start(
                    clamped ? r.result->clampedRdm : r.result->rdm, fit.model, options);
            if (!started) {
                r.result->notes << QStringLiteral("%1: %2").arg(fit.name,
                                                                started.status().message());
                ++r.nextComparison;
                continue;
            }
            r.comparison = std::move(started).value();
        }
        const bool done = r.comparison->step(512, 8);
        context.reportProgress(
                0.4 + 0.6 * (double(k) + r.comparison->progress()) / double(std::max(1, total)),
                QStringLiteral("%1 item permutations against %2%3")
                        .arg(asked.permutations)
                        .arg(fit.name, clamped ? QStringLiteral(" (clamped)") : QString()));
        if (done) {
            (clamped ? fit.clampedComparison : fit.comparison) = r.comparison->result();
            r.comparison.reset();
            ++r.nextComparison;
        }
    }
    return context.isCancelled() || r.nextComparison >= total;
}

}  // namespace

RequestId TorchEngineClient::computeRsa(const RsaRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<RsaRun>();
    run->request = request;
    return m_runner.submit(Job{
            QStringLiteral("RSA"), QStringLiteral("rsa"),
            [this, state, run](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                RsaRun &r = *run;
                const RsaRequest &asked = r.request;
                switch (r.stage) {
                    case 0: {
                        *status = prepare(r, *state);
                        if (!status->isOk()) {
                            return JobStep::Done;
                        }
                        context.reportProgress(0.05, QStringLiteral("running the model"));
                        Result<PromptRepresentations> plain =
                                promptRepresentations(*state->model, r.ordered, r.representation);
                        if (!plain) {
                            *status = plain.status();
                            return JobStep::Done;
                        }
                        r.plain = std::move(plain).value();
                        r.result = std::make_shared<RsaResult>();
                        r.result->request = asked;
                        r.result->request.hookName = r.representation.hookName;
                        r.stage = asked.intervention ? 1 : 2;
                        return JobStep::Continue;
                    }
                    case 1: {
                        context.reportProgress(
                                0.2, QStringLiteral("running the model with the clamp set"));
                        *status = runClamped(r, *state);
                        if (!status->isOk()) {
                            return JobStep::Done;
                        }
                        r.stage = 2;
                        return JobStep::Continue;
                    }
                    case 2: {
                        context.reportProgress(0.35, QStringLiteral("RDMs and MDS"));
                        *status = analyse(r);
                        if (!status->isOk()) {
                            return JobStep::Done;
                        }
                        r.stage = 3;
                        return JobStep::Continue;
                    }
                    default:
                        break;
                }
                // The comparisons (permutations, bootstrap) in slices of ~150 ms, so a cancel
                // or an interactive request waits little.
                if (!compareSlice(r, context)) {
                    return JobStep::Continue;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                const QList<RsaModelFit> &models = r.result->models;
                qCInfo(lcEngine).noquote()
                        << QStringLiteral("RSA of %1: %2 items, %3 features, %4 model RDMs")
                                   .arg(asked.set.displayName())
                                   .arg(r.result->rdm.size())
                                   .arg(r.result->featureCount)
                                   .arg(models.size());
                Q_EMIT rsaComputed(context.id(), r.result);
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
