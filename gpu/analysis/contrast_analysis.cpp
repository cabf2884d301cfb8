#include "gpu/analysis/contrast_analysis.h"

#include "gpu/analysis/contrasts.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/feature_set_rsa.h"
#include "gpu/analysis/method_comparison.h"

#include <QElapsedTimer>

#include <algorithm>
#include <array>
#include <cmath>

namespace gyrus::gpu {

namespace {

enum class Kind
{
    Contrast,
    FeatureRsaMap,
    MethodComparison,
};

const std::array<SelectionMethod, 4> kAllMethods = {
        SelectionMethod::MeanDifference, SelectionMethod::Univariate,
        SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD};

// The items × features table of `source`, from the memo when the stimuli and settings match.
Result<std::shared_ptr<const PromptRepresentations>> representationsFor(
        const ContrastInputs &inputs, const ContrastSource &source, ContrastMemo *memo,
        QString *description)
{
    const Pooling pooling = source.pooling;
    RepresentationOptions options;
    // SAE features exist at the SAE's hook only.
    options.hookName = source.saeFeatures ? inputs.saeHook : source.hookName;
    options.pooling = pooling;
    // An aligned window needs positions; the form's spin box starts at 0 (no ± window).
    options.window = pooling == Pooling::Window && source.window < 1 ? 32 : source.window;
    if (source.saeFeatures) {
        options.sae = inputs.sae;
    }
    *description = source.saeFeatures ? QStringLiteral("SAE features (%1 at %2)")
                                                .arg(inputs.saeName, options.hookName)
                                      : QStringLiteral("raw %1").arg(options.hookName);
    const std::optional<quint64> saeEpoch =
            source.saeFeatures ? std::optional<quint64>(inputs.saeEpoch) : std::nullopt;
    if (memo && memo->representations && memo->modelEpoch == inputs.modelEpoch &&
        memo->saeEpoch == saeEpoch && memo->hook == options.hookName &&
        memo->pooling == options.pooling && memo->window == options.window &&
        memo->set == source.promptSet) {
        return memo->representations;
    }
    Result<PromptRepresentations> computed =
            promptRepresentations(*inputs.model, source.promptSet, options);
    if (!computed) {
        return computed.status();
    }
    auto representations =
            std::make_shared<const PromptRepresentations>(std::move(computed).value());
    if (memo) {
        memo->modelEpoch = inputs.modelEpoch;
        memo->saeEpoch = saeEpoch;
        memo->hook = options.hookName;
        memo->pooling = options.pooling;
        memo->window = options.window;
        memo->set = source.promptSet;
        memo->representations = representations;
    }
    return representations;
}

// The rows of a table at level A (label 1) or level B (label 0) of the source's factor.
struct TwoGroupTable
{
    FloatMatrix x;
    std::vector<int64_t> labels;
    QStringList notes;
};

Result<TwoGroupTable> twoGroupTable(const PromptRepresentations &r, const ContrastSource &source)
{
    const PromptSet &set = source.promptSet;
    const PromptFactor *factor = set.factor(source.factor);
    if (!factor) {
        return Status::invalidInput(
                QStringLiteral("%1: no factor '%2'").arg(set.displayName(), source.factor));
    }
    if (source.levelA == source.levelB || !factor->levels.contains(source.levelA) ||
        !factor->levels.contains(source.levelB)) {
        return Status::invalidInput(QStringLiteral("%1: choose two different levels of '%2' (%3)")
                                            .arg(set.displayName(), factor->name,
                                                 factor->levels.join(QStringLiteral(", "))));
    }
    TwoGroupTable table;
    table.notes = r.notes;
    table.x.cols = r.values.cols;
    for (int row = 0; row < r.items.size(); ++row) {
        const QString level = set.items[r.items[row]].levels.value(factor->name);
        if (level != source.levelA && level != source.levelB) {
            continue;
        }
        table.labels.push_back(level == source.levelA ? 1 : 0);
        const auto begin = r.values.values.begin() + row * r.values.cols;
        table.x.values.insert(table.x.values.end(), begin, begin + r.values.cols);
        ++table.x.rows;
    }
    return table;
}

// The aligned windows of the rows twoGroupTable keeps, labelled as the comparison functions
// define them: 0 for level A (the concept's condition: the temporal categorical score is
// positive when A's time courses are the more coherent), 1 for level B. Empty without windows.
struct TwoGroupWindows
{
    TemporalTable table;
    std::vector<int64_t> labels;
};

TwoGroupWindows twoGroupWindows(const PromptRepresentations &r, const ContrastSource &source)
{
    TwoGroupWindows out;
    const TemporalTable &all = r.patterns;
    const PromptFactor *factor = source.promptSet.factor(source.factor);
    if (all.items == 0 || !factor) {
        return out;
    }
    out.table.positions = all.positions;
    out.table.features = all.features;
    const int64_t stride = all.positions * all.features;
    for (int row = 0; row < r.items.size(); ++row) {
        const QString level = source.promptSet.items[r.items[row]].levels.value(factor->name);
        if (level != source.levelA && level != source.levelB) {
            continue;
        }
        out.labels.push_back(level == source.levelA ? 0 : 1);
        out.table.values.insert(out.table.values.end(), all.values.begin() + row * stride,
                                all.values.begin() + (row + 1) * stride);
        out.table.mask.insert(out.table.mask.end(), all.mask.begin() + row * all.positions,
                              all.mask.begin() + (row + 1) * all.positions);
        ++out.table.items;
    }
    return out;
}

// Column means over the rows whose label is `label`.
std::vector<double> columnMeans(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                int64_t label)
{
    std::vector<double> sum(size_t(x.cols), 0.0);
    int64_t count = 0;
    for (int64_t row = 0; row < x.rows; ++row) {
        if (labels[size_t(row)] != label) {
            continue;
        }
        ++count;
        const float *values = x.values.data() + row * x.cols;
        for (int64_t col = 0; col < x.cols; ++col) {
            sum[size_t(col)] += values[col];
        }
    }
    for (double &value : sum) {
        value /= double(std::max<int64_t>(1, count));
    }
    return sum;
}

Result<ContrastAnalysisResult> factorialResult(const PromptRepresentations &r,
                                               const ContrastSource &source)
{
    const PromptSet &set = source.promptSet;
    const PromptFactor *factorA = set.factor(source.factor);
    const PromptFactor *factorB = nullptr;
    for (const PromptFactor &f : set.factors) {
        if (f.name != source.factor) {
            factorB = &f;
        }
    }
    if (set.factors.size() != 2 || !factorA || !factorB || factorA->levels.size() != 2 ||
        factorB->levels.size() != 2) {
        return Status::invalidInput(
                QStringLiteral("%1: a 2 × 2 analysis needs exactly two factors of two levels")
                        .arg(set.displayName()));
    }
    std::vector<int64_t> levelsA;
    std::vector<int64_t> levelsB;
    for (int item : r.items) {
        const auto a = factorA->levels.indexOf(set.items[item].levels.value(factorA->name));
        const auto b = factorB->levels.indexOf(set.items[item].levels.value(factorB->name));
        if (a < 0 || b < 0) {
            return Status::invalidInput(QStringLiteral("%1: item %2 has no level of %3 or %4")
                                                .arg(set.displayName(), set.items[item].id,
                                                     factorA->name, factorB->name));
        }
        levelsA.push_back(a);
        levelsB.push_back(b);
    }
    Result<FactorialContrasts> contrasts = factorialContrasts(r.values, levelsA, levelsB);
    if (!contrasts) {
        return contrasts.status();
    }
    // Cell means, cells k = 2a + b.
    std::vector<int64_t> cell(levelsA.size());
    for (size_t i = 0; i < cell.size(); ++i) {
        cell[i] = 2 * levelsA[i] + levelsB[i];
    }
    std::array<std::vector<double>, 4> means;
    for (int64_t k = 0; k < 4; ++k) {
        means[size_t(k)] = columnMeans(r.values, cell, k);
    }
    auto average = [&](int first, int second) {
        std::vector<double> out(means[0].size());
        for (size_t j = 0; j < out.size(); ++j) {
            out[j] = 0.5 * (means[size_t(first)][j] + means[size_t(second)][j]);
        }
        return out;
    };
    const QString a0 = factorA->levels[0];
    const QString a1 = factorA->levels[1];
    const QString b0 = factorB->levels[0];
    const QString b1 = factorB->levels[1];
    ContrastAnalysisResult result;
    result.itemCount = r.values.rows;
    result.featureCount = r.values.cols;
    result.notes = r.notes;
    result.effects.append({QStringLiteral("main effect of %1").arg(factorA->name), a1, a0,
                           contrasts->mainA, average(2, 3), average(0, 1)});
    result.effects.append({QStringLiteral("main effect of %1").arg(factorB->name), b1, b0,
                           contrasts->mainB, average(1, 3), average(0, 2)});
    result.effects.append({QStringLiteral("interaction %1 × %2").arg(factorA->name, factorB->name),
                           QStringLiteral("%1·%2 + %3·%4").arg(a0, b0, a1, b1),
                           QStringLiteral("%1·%2 + %3·%4").arg(a0, b1, a1, b0),
                           contrasts->interaction, average(0, 3), average(1, 2)});
    return result;
}

Result<ContrastAnalysisResult> twoGroupResult(const PromptRepresentations &r,
                                              const ContrastSource &source)
{
    Result<TwoGroupTable> table = twoGroupTable(r, source);
    if (!table) {
        return table.status();
    }
    Result<ContrastResult> stats = twoGroupContrast(table->x, table->labels, 1, 0);
    if (!stats) {
        return stats.status().withContext(source.promptSet.displayName());
    }
    ContrastAnalysisResult result;
    result.itemCount = table->x.rows;
    result.featureCount = table->x.cols;
    result.notes = table->notes;
    ContrastEffect effect{source.factor,
                          source.levelA,
                          source.levelB,
                          std::move(stats).value(),
                          columnMeans(table->x, table->labels, 1),
                          columnMeans(table->x, table->labels, 0)};
    effect.stats.name = QStringLiteral("%1 − %2").arg(source.levelA, source.levelB);
    result.effects.append(std::move(effect));
    return result;
}

Result<FeatureRsaMap> featureRsaMapOf(const PromptRepresentations &r, const ContrastSource &source)
{
    Result<TwoGroupTable> table = twoGroupTable(r, source);
    if (!table) {
        return table.status();
    }
    FeatureRsaMap map;
    map.sideA = source.levelA;
    map.sideB = source.levelB;
    map.itemCount = table->x.rows;
    for (auto [method, out] :
         {std::pair{SelectionMethod::PooledSeparationR, &map.pooledSeparationR},
          std::pair{SelectionMethod::PooledSeparationD, &map.pooledSeparationD},
          std::pair{SelectionMethod::MeanDifference, &map.maxActivation}}) {
        Result<std::vector<double>> scores = featureScores(table->x, table->labels, method);
        if (!scores) {
            return scores.status().withContext(source.promptSet.displayName());
        }
        *out = std::move(scores).value();
    }
    // Time courses: temporal RSA beside the pooled scores (level A labelled 0, the condition
    // whose coherence the categorical score asks about).
    const TwoGroupWindows windows = twoGroupWindows(r, source);
    for (auto [method, out] :
         {std::pair{SelectionMethod::TemporalDiscriminativeRsa, &map.temporalDiscriminativeRsa},
          std::pair{SelectionMethod::TemporalCategoricalRsa, &map.temporalCategoricalRsa}}) {
        if (windows.table.items == 0) {
            break;
        }
        Result<std::vector<double>> scores = featureScores(windows.table, windows.labels, method);
        if (!scores) {
            return scores.status().withContext(source.promptSet.displayName());
        }
        *out = std::move(scores).value();
    }
    return map;
}

// "stage 2 of 3: cross-validation 4 / 10 · ETA 3 s" (stage 1 computed the representations).
QString comparisonProgress(const MethodComparisonRun &comparison, qint64 elapsedMs)
{
    const int done = comparison.stepsDone();
    const int total = comparison.totalSteps();
    const int repeats = comparison.repeatCount();
    const QString stage = comparison.inPermutations()
                                  ? QStringLiteral("stage 3 of 3: permutation null %1 / %2")
                                            .arg(done - repeats)
                                            .arg(total - repeats)
                                  : QStringLiteral("stage 2 of 3: cross-validation %1 / %2")
                                            .arg(done)
                                            .arg(repeats);
    const double remaining = done > 0 ? double(elapsedMs) / done * (total - done) / 1000.0 : 0.0;
    return stage + QStringLiteral(" · ETA %1 s").arg(std::ceil(remaining));
}

}  // namespace

struct ContrastAnalysis::Impl
{
    Kind kind = Kind::Contrast;
    ContrastInputs inputs;
    std::shared_ptr<ContrastMemo> memo;
    MethodComparisonRequest request;  // the source of every kind, and a comparison's settings
    bool represented = false;
    bool finished = false;
    QString description;  // "raw <hook>", "SAE features (<sae> at <hook>)"

    std::shared_ptr<ContrastAnalysisResult> contrast;
    std::shared_ptr<FeatureRsaMap> map;

    // The method comparison's table and run.
    std::vector<SelectionMethod> methods;
    TwoGroupTable table;
    TwoGroupWindows windows;
    std::optional<MethodComparisonRun> comparison;
    QElapsedTimer clock;
    std::shared_ptr<MethodComparisonResult> comparisonResult;

    const ContrastSource &source() const { return request.source; }

    Status represent(const StepProgress &report);
    Status prepareComparison(const PromptRepresentations &r);
    Status compare(const StepProgress &report, int splits);
    Result<std::vector<int64_t>> selectedOnAllItems(SelectionMethod method, int k) const;
    Status finishComparison();
};

std::unique_ptr<ContrastAnalysis> ContrastAnalysis::startContrast(
        const ContrastInputs &inputs, const ContrastSource &source,
        std::shared_ptr<ContrastMemo> memo)
{
    auto impl = std::make_unique<Impl>();
    impl->kind = Kind::Contrast;
    impl->inputs = inputs;
    impl->memo = std::move(memo);
    impl->request.source = source;
    return std::unique_ptr<ContrastAnalysis>(new ContrastAnalysis(std::move(impl)));
}

std::unique_ptr<ContrastAnalysis> ContrastAnalysis::startFeatureRsaMap(
        const ContrastInputs &inputs, const ContrastSource &source,
        std::shared_ptr<ContrastMemo> memo)
{
    std::unique_ptr<ContrastAnalysis> analysis = startContrast(inputs, source, std::move(memo));
    analysis->m_impl->kind = Kind::FeatureRsaMap;
    return analysis;
}

Result<std::unique_ptr<ContrastAnalysis>> ContrastAnalysis::startMethodComparison(
        const ContrastInputs &inputs, const MethodComparisonRequest &request,
        std::shared_ptr<ContrastMemo> memo)
{
    auto impl = std::make_unique<Impl>();
    impl->methods.assign(request.methods.begin(), request.methods.end());
    impl->kind = Kind::MethodComparison;
    impl->inputs = inputs;
    impl->memo = std::move(memo);
    impl->request = request;
    return std::unique_ptr<ContrastAnalysis>(new ContrastAnalysis(std::move(impl)));
}

ContrastAnalysis::ContrastAnalysis(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

ContrastAnalysis::~ContrastAnalysis() = default;

bool ContrastAnalysis::isFinished() const
{
    return m_impl->finished;
}

std::shared_ptr<ContrastAnalysisResult> ContrastAnalysis::contrast() const
{
    return m_impl->contrast;
}

std::shared_ptr<FeatureRsaMap> ContrastAnalysis::featureRsaMap() const
{
    return m_impl->map;
}

std::shared_ptr<MethodComparisonResult> ContrastAnalysis::methodComparison() const
{
    return m_impl->comparisonResult;
}

Status ContrastAnalysis::step(const StepProgress &report, int splits)
{
    Impl &run = *m_impl;
    if (run.finished) {
        return Status::internal(QStringLiteral("the contrast analysis has finished"));
    }
    const Status stepped = run.represented ? run.compare(report, splits) : run.represent(report);
    if (!stepped.isOk()) {
        run.finished = true;
    }
    return stepped;
}

Status ContrastAnalysis::Impl::represent(const StepProgress &report)
{
    if (kind == Kind::MethodComparison) {
        report(0.0, QStringLiteral("stage 1 of 3: representations"));
    }
    Result<std::shared_ptr<const PromptRepresentations>> r =
            representationsFor(inputs, source(), memo.get(), &description);
    if (!r) {
        return r.status();
    }
    represented = true;
    inputs.model = nullptr;  // not needed any more
    switch (kind) {
        case Kind::Contrast: {
            Result<ContrastAnalysisResult> result = source().factorial
                                                            ? factorialResult(*r.value(), source())
                                                            : twoGroupResult(*r.value(), source());
            if (!result) {
                return result.status();
            }
            contrast = std::make_shared<ContrastAnalysisResult>(std::move(result).value());
            contrast->representation = description;
            finished = true;
            return Status::ok();
        }
        case Kind::FeatureRsaMap: {
            Result<FeatureRsaMap> result = featureRsaMapOf(*r.value(), source());
            if (!result) {
                return result.status();
            }
            map = std::make_shared<FeatureRsaMap>(std::move(result).value());
            map->representation = description;
            finished = true;
            return Status::ok();
        }
        case Kind::MethodComparison:
            return prepareComparison(*r.value());
    }
    return Status::ok();
}

// The two-group table (and windows), the methods, and the comparison's splits.
Status ContrastAnalysis::Impl::prepareComparison(const PromptRepresentations &r)
{
    Result<TwoGroupTable> twoGroups = twoGroupTable(r, source());
    if (!twoGroups) {
        return twoGroups.status();
    }
    table = std::move(twoGroups).value();
    windows = twoGroupWindows(r, source());
    const bool seedWindows = source().pooling == Pooling::LegacyLeftFirst;
    if (methods.empty()) {
        methods.assign(kAllMethods.begin(), kAllMethods.end());
        // Time courses to compare: the temporal methods join, the original project's formulas
        // on its own window, the corrected ones otherwise.
        if (windows.table.items > 0 && seedWindows) {
            methods.insert(methods.end(), {SelectionMethod::SeedMaxActivation,
                                           SelectionMethod::SeedTemporalDiscriminativeRsa,
                                           SelectionMethod::SeedTemporalCategoricalRsa});
        } else if (windows.table.items > 0) {
            methods.insert(methods.end(), {SelectionMethod::TemporalDiscriminativeRsa,
                                           SelectionMethod::TemporalCategoricalRsa,
                                           SelectionMethod::FeatureSetRsa});
        }
    }
    ComparisonOptions options;
    options.k = request.k;
    options.folds = request.folds;
    options.repeats = request.repeats;
    options.permutations = request.permutations;
    options.seed = request.seed;
    Result<MethodComparisonRun> created =
            windows.table.items > 0
                    ? MethodComparisonRun::create(windows.table, windows.labels, methods, options)
                    : MethodComparisonRun::create(table.x, table.labels, methods, options);
    if (!created) {
        return created.status().withContext(source().promptSet.displayName());
    }
    comparison = std::move(created).value();
    clock.start();
    return Status::ok();
}

Status ContrastAnalysis::Impl::compare(const StepProgress &report, int splits)
{
    if (Status stepped = comparison->step(std::max(1, splits)); !stepped.isOk()) {
        return stepped;
    }
    if (!comparison->isFinished()) {
        report(double(comparison->stepsDone()) / double(comparison->totalSteps()),
               comparisonProgress(*comparison, clock.elapsed()));
        return Status::ok();
    }
    return finishComparison();
}

// The k features a method picks on every item (what the folds approximate).
Result<std::vector<int64_t>> ContrastAnalysis::Impl::selectedOnAllItems(SelectionMethod method,
                                                                        int k) const
{
    if (method == SelectionMethod::FeatureSetRsa) {
        Result<FeatureSetSelection> set = featureSetRsaSelection(table.x, table.labels, k);
        if (!set) {
            return set.status();
        }
        return set->features;
    }
    Result<std::vector<double>> scores =
            windows.table.items > 0 ? featureScores(windows.table, windows.labels, method)
                                    : featureScores(table.x, table.labels, method);
    if (!scores) {
        return scores.status();
    }
    return topFeatures(scores.value(), k);
}

Status ContrastAnalysis::Impl::finishComparison()
{
    auto result = std::make_shared<MethodComparisonResult>();
    result->representation = description;
    result->sideA = source().levelA;
    result->sideB = source().levelB;
    result->itemCount = table.x.rows;
    result->settings = request;
    result->settings.source.promptSet = PromptSet();  // the panel has it
    for (const MethodScore &score : comparison->scores()) {
        MethodComparisonRow row;
        static_cast<MethodScore &>(row) = score;
        Result<std::vector<int64_t>> selected = selectedOnAllItems(score.method, request.k);
        if (!selected) {
            return selected.status();
        }
        for (int64_t feature : selected.value()) {
            row.selectedFeatures.push_back(int(feature));
        }
        // The table labels level A 1: positive weights steer towards A.
        if (source().saeFeatures && !selected->empty()) {
            Result<EnsembleClassifier> ensemble =
                    fitEnsembleClassifier(table.x, table.labels, selected.value());
            if (ensemble) {
                row.ensembleWeights = ensemble->weights;
                row.ensembleSds = ensemble->sds;
            }
        }
        result->rows.append(row);
    }
    comparisonResult = std::move(result);
    finished = true;
    return Status::ok();
}

}  // namespace gyrus::gpu
