#include "gpu/analysis/rsa_pipeline.h"

#include "core/rsa/model_rdm.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/mds.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/rdm_compute.h"
#include "gpu/analysis/rsa_compare.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "gpu/sae/steering/clamp_splice.h"

#include <algorithm>
#include <set>

namespace gyrus::gpu {

namespace {

enum class Stage
{
    Represent,  // the plain forward passes
    Clamped,    // the forward passes with the clamp set spliced in
    Analyse,    // RDMs, model RDMs, MDS
    Compare,    // the comparisons, a block at a time
    Finished,
};

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

}  // namespace

struct RsaPipeline::Impl
{
    const LanguageModel *model = nullptr;
    std::shared_ptr<detail::SaeModule> sae;
    Stage stage = Stage::Represent;
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

    Status represent(const StepProgress &report);
    Status runClamped(const StepProgress &report);
    Result<std::vector<int64_t>> chooseColumns(const QList<int> &rows) const;
    Status analyse(const StepProgress &report);
    int comparisonCount() const;
    void compareBlock(const StepProgress &report);
};

Result<std::unique_ptr<RsaPipeline>> RsaPipeline::start(
        const LanguageModel &model, const std::shared_ptr<detail::SaeModule> &sae,
        const RsaRequest &request)
{
    if (request.set.items.size() < 3) {
        return Status::invalidInput(QStringLiteral("%1: an RDM comparison needs at least 3 items, "
                                                   "the set has %2")
                                            .arg(request.set.displayName())
                                            .arg(request.set.items.size()));
    }
    if ((request.saeFeatures || request.intervention) && !sae) {
        return Status::invalidInput(
                QStringLiteral("no SAE loaded: SAE features and interventions need one"));
    }
    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->sae = sae;
    impl->request = request;
    impl->representation.hookName = request.hookName;
    if (impl->representation.hookName.isEmpty()) {
        if (!sae) {
            return Status::invalidInput(
                    QStringLiteral("choose a hook (no SAE is loaded to take its hook from)"));
        }
        impl->representation.hookName = sae->config().hookName;
    }
    impl->representation.pooling = request.pooling;
    impl->representation.window = request.window;
    if (request.saeFeatures) {
        impl->representation.sae = sae;
    }
    impl->order = rsaItemOrder(request.set);
    impl->ordered = request.set;
    impl->ordered.items.clear();
    for (int item : impl->order) {
        impl->ordered.items << request.set.items[item];
    }
    return std::unique_ptr<RsaPipeline>(new RsaPipeline(std::move(impl)));
}

RsaPipeline::RsaPipeline(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

RsaPipeline::~RsaPipeline() = default;

QString RsaPipeline::hookName() const
{
    return m_impl->representation.hookName;
}

bool RsaPipeline::isFinished() const
{
    return m_impl->stage == Stage::Finished;
}

bool RsaPipeline::needsModel() const
{
    return m_impl->stage == Stage::Represent || m_impl->stage == Stage::Clamped;
}

bool RsaPipeline::isComparing() const
{
    return m_impl->stage == Stage::Compare;
}

std::shared_ptr<RsaResult> RsaPipeline::result() const
{
    return m_impl->result;
}

Status RsaPipeline::step(const StepProgress &report)
{
    Impl &run = *m_impl;
    Status stepped;
    switch (run.stage) {
        case Stage::Represent:
            stepped = run.represent(report);
            run.stage = run.request.intervention ? Stage::Clamped : Stage::Analyse;
            break;
        case Stage::Clamped:
            stepped = run.runClamped(report);
            run.stage = Stage::Analyse;
            break;
        case Stage::Analyse:
            stepped = run.analyse(report);
            run.stage = Stage::Compare;
            break;
        case Stage::Compare:
            run.compareBlock(report);
            break;
        case Stage::Finished:
            return Status::internal(QStringLiteral("the RSA pipeline has finished"));
    }
    if (!stepped.isOk() ||
        (run.stage == Stage::Compare && run.nextComparison >= run.comparisonCount())) {
        run.stage = Stage::Finished;
    }
    return stepped;
}

Status RsaPipeline::Impl::represent(const StepProgress &report)
{
    report(0.05, QStringLiteral("running the model"));
    Result<PromptRepresentations> computed = promptRepresentations(*model, ordered, representation);
    if (!computed) {
        return computed.status();
    }
    plain = std::move(computed).value();
    result = std::make_shared<RsaResult>();
    result->request = request;
    result->request.hookName = representation.hookName;
    return Status::ok();
}

// The representations again with the clamp set spliced in at the SAE's hook. An empty set adds
// no hook, so the forward pass, and the RDM, are exactly the plain ones.
Status RsaPipeline::Impl::runClamped(const StepProgress &report)
{
    report(0.2, QStringLiteral("running the model with the clamp set"));
    const SaeConfig &config = sae->config();
    if (Status valid = validateClampSet(request.clamps, config.dSae); !valid.isOk()) {
        return valid;
    }
    const ModelInfo info = model->info();
    detail::HookSet hooks;
    if (Status added =
                detail::addClampSplice(hooks, hookLayout(model->config()), sae, request.clamps);
        !added.isOk()) {
        return added;
    }
    if (!hooks.empty() &&
        info.hookNames.indexOf(representation.hookName) < info.hookNames.indexOf(config.hookName)) {
        result->notes << QStringLiteral(
                                 "the clamp set acts at %1, after the hook read (%2): the RDM "
                                 "cannot change")
                                 .arg(config.hookName, representation.hookName);
    }
    RepresentationOptions options = representation;
    options.interventions = hooks.empty() ? nullptr : &hooks;
    Result<PromptRepresentations> computed = promptRepresentations(*model, ordered, options);
    if (!computed) {
        return computed.status().withContext(QStringLiteral("under the clamp set"));
    }
    clamped = std::move(computed).value();
    return Status::ok();
}

// The feature subset's columns, checked against the representation's width.
Result<std::vector<int64_t>> RsaPipeline::Impl::chooseColumns(const QList<int> &rows) const
{
    const FloatMatrix &x = plain.values;
    if (request.subset == RsaFeatureSubset::All) {
        return std::vector<int64_t>{};
    }
    if (request.subset == RsaFeatureSubset::Explicit) {
        if (request.features.isEmpty()) {
            return Status::invalidInput(QStringLiteral(
                    "the feature list is empty (an empty clamp set?): add features or use all"));
        }
        std::vector<int64_t> chosen;
        for (int feature : request.features) {
            if (feature < 0 || feature >= x.cols) {
                return Status::invalidInput(
                        QStringLiteral("feature %1 is outside the representation's %2 columns")
                                .arg(feature)
                                .arg(x.cols));
            }
            chosen.push_back(feature);
        }
        return chosen;
    }
    const SelectionMethod selection = request.selectionMethod;
    const PromptSet &set = request.set;
    for (const PromptFactor &factor : set.factors) {
        if (factor.levels.size() != 2) {
            continue;
        }
        Result<std::vector<double>> scores =
                featureScores(x, levelsOf(set, rows, factor), selection);
        if (!scores) {
            return scores.status().withContext(
                    QStringLiteral("top-k selection on factor '%1'").arg(factor.name));
        }
        return topFeatures(*scores, std::min<int64_t>(std::max(1, request.topK), x.cols));
    }
    return Status::invalidInput(QStringLiteral("%1: top-k selection needs a factor with two levels")
                                        .arg(set.displayName()));
}

// RDMs, model RDMs and MDS from the representations.
Status RsaPipeline::Impl::analyse(const StepProgress &report)
{
    report(0.35, QStringLiteral("RDMs and MDS"));
    RsaResult &out = *result;
    const PromptSet &set = request.set;
    QList<int> rows;  // index into set.items per kept row
    for (int kept : plain.items) {
        rows << order[kept];
    }
    out.items = rows;
    for (int item : rows) {
        out.texts << set.items[item].text;
        out.conditions << set.conditionOf(item);
    }
    out.notes << plain.notes;
    Result<std::vector<int64_t>> chosen = chooseColumns(rows);
    if (!chosen) {
        return chosen.status();
    }
    columns = *chosen;
    for (int64_t c : columns) {
        out.features << static_cast<int>(c);
    }
    out.featureCount = columns.empty() ? static_cast<int>(plain.values.cols) : out.features.size();
    if (request.subset == RsaFeatureSubset::TopK) {
        out.notes << QStringLiteral(
                "features chosen on these same items: the comparison with the categorical model "
                "is circular (optimistic); judge it on held-out items");
    }
    RdmOptions options;
    options.metric = request.metric;
    options.featureSubset = columns;
    const QStringList ids = rsaItemIds(set, rows);
    Result<Rdm> rdm = computeRdm(plain.values, ids, options);
    if (!rdm) {
        return rdm.status().withContext(set.displayName());
    }
    out.rdm = std::move(rdm).value();
    if (request.intervention) {
        if (clamped.items != plain.items) {
            return Status::internal(QStringLiteral("the clamped run kept other items"));
        }
        Result<Rdm> clampedRdm = computeRdm(clamped.values, ids, options);
        if (!clampedRdm) {
            return clampedRdm.status().withContext(QStringLiteral("under the clamp set"));
        }
        out.clampedRdm = std::move(clampedRdm).value();
        out.hasIntervention = true;
    }
    for (const PromptFactor &factor : set.factors) {
        const std::vector<int64_t> levels = levelsOf(set, rows, factor);
        if (std::set<int64_t>(levels.begin(), levels.end()).size() < 2) {
            out.notes << QStringLiteral("factor '%1' has one level here: no model RDM")
                                 .arg(factor.name);
            continue;
        }
        Result<Rdm> modelRdm = categoricalModelRdm(ids, levels, factor.name);
        if (!modelRdm) {
            return modelRdm.status();
        }
        out.models << RsaModelFit{factor.name, std::move(modelRdm).value(), {}, {}};
    }
    if (set.factors.size() == 2 && set.factors[0].levels.size() == 2 &&
        set.factors[1].levels.size() == 2 && out.models.size() == 2) {
        Result<Rdm> modelRdm = interactionModelRdm(ids, levelsOf(set, rows, set.factors[0]),
                                                   levelsOf(set, rows, set.factors[1]));
        if (modelRdm) {
            out.models << RsaModelFit{
                    set.factors[0].name + QStringLiteral(" × ") + set.factors[1].name,
                    std::move(modelRdm).value(),
                    {},
                    {}};
        }
    }
    Result<MdsEmbedding> mds = classicalMds(out.rdm, 2);
    if (!mds) {
        return mds.status();
    }
    out.mdsX = mds->coordinates[0];
    out.mdsY = mds->coordinates[1];
    out.mdsExplained = mds->explained;
    return Status::ok();
}

int RsaPipeline::Impl::comparisonCount() const
{
    return static_cast<int>(result->models.size()) * (request.intervention ? 2 : 1);
}

// One block of the comparison in progress (starting it first). A pair that cannot be compared
// (a constant RDM) becomes a note, and the next one starts at the next step.
void RsaPipeline::Impl::compareBlock(const StepProgress &report)
{
    const int perModel = request.intervention ? 2 : 1;
    const int total = comparisonCount();
    const int k = nextComparison;
    RsaModelFit &fit = result->models[k / perModel];
    const bool underClamps = k % perModel == 1;
    if (!comparison) {
        RsaOptions options;
        options.method = request.comparisonMethod;
        options.permutations = std::max(0, request.permutations);
        options.bootstraps = std::max(0, request.bootstraps);
        options.seed = request.seed;
        Result<std::unique_ptr<RsaComparisonRun>> started = RsaComparisonRun::start(
                underClamps ? result->clampedRdm : result->rdm, fit.model, options);
        if (!started) {
            result->notes << QStringLiteral("%1: %2").arg(fit.name, started.status().message());
            ++nextComparison;
            return;
        }
        comparison = std::move(started).value();
    }
    const bool done = comparison->step(512, 8);
    report(0.4 + 0.6 * (double(k) + comparison->progress()) / double(std::max(1, total)),
           QStringLiteral("%1 item permutations against %2%3")
                   .arg(request.permutations)
                   .arg(fit.name, underClamps ? QStringLiteral(" (clamped)") : QString()));
    if (done) {
        (underClamps ? fit.clampedComparison : fit.comparison) = comparison->result();
        comparison.reset();
        ++nextComparison;
    }
}

}  // namespace gyrus::gpu
