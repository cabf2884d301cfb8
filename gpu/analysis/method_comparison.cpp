#include "gpu/analysis/method_comparison.h"

#include "gpu/analysis/analysis_tensors.h"
#include "gpu/analysis/feature_set_rsa.h"
#include "gpu/analysis/pooled_selection.h"
#include "gpu/analysis/temporal_selection.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <random>

namespace gyrus::gpu {

namespace {

// What one split gives each method.
struct SplitOutcome
{
    std::vector<double> accuracy;
    std::vector<double> auc;
    std::vector<std::vector<double>> probability;  // per method, per item: out of fold
    // same[a][b]: methods a and b chose the same feature set in every fold of this split.
    std::vector<std::vector<bool>> same;
};

// Stratified fold assignment: each class shuffled, then dealt round-robin.
std::vector<int> assignFolds(const std::vector<int64_t> &labels, int folds, std::mt19937_64 &rng)
{
    const auto n = static_cast<int64_t>(labels.size());
    std::vector<int> fold(size_t(n), 0);
    for (int64_t cls : {0, 1}) {
        std::vector<int64_t> members;
        for (int64_t i = 0; i < n; ++i) {
            if (labels[size_t(i)] == cls) {
                members.push_back(i);
            }
        }
        std::shuffle(members.begin(), members.end(), rng);
        for (size_t position = 0; position < members.size(); ++position) {
            fold[size_t(members[position])] = int(position % size_t(folds));
        }
    }
    return fold;
}

// Solves the symmetric positive definite system h · s = g (Cholesky; h is (p × p), row major).
std::vector<double> solveSpd(std::vector<double> h, std::vector<double> g, size_t p)
{
    for (size_t j = 0; j < p; ++j) {
        double diagonal = h[j * p + j];
        for (size_t k = 0; k < j; ++k) {
            diagonal -= h[j * p + k] * h[j * p + k];
        }
        const double root = std::sqrt(std::max(diagonal, 1e-300));
        h[j * p + j] = root;
        for (size_t i = j + 1; i < p; ++i) {
            double value = h[i * p + j];
            for (size_t k = 0; k < j; ++k) {
                value -= h[i * p + k] * h[j * p + k];
            }
            h[i * p + j] = value / root;
        }
    }
    for (size_t i = 0; i < p; ++i) {
        for (size_t k = 0; k < i; ++k) {
            g[i] -= h[i * p + k] * g[k];
        }
        g[i] /= h[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
        for (size_t k = i + 1; k < p; ++k) {
            g[i] -= h[k * p + i] * g[k];
        }
        g[i] /= h[i * p + i];
    }
    return g;
}

double sigmoid(double z)
{
    return 1.0 / (1.0 + std::exp(-z));
}

// L2 logistic regression by Newton's method on a design with an intercept column first (a
// handful of standardised features: exact and fast). Rows of `design` are training items.
std::vector<double> fitLogistic(const std::vector<double> &design, const std::vector<double> &y,
                                size_t p, double l2)
{
    const size_t n = y.size();
    std::vector<double> w(p, 0.0);
    std::vector<double> gradient(p);
    std::vector<double> hessian(p * p);
    for (int iteration = 0; iteration < 50; ++iteration) {
        std::fill(gradient.begin(), gradient.end(), 0.0);
        std::fill(hessian.begin(), hessian.end(), 0.0);
        for (size_t i = 0; i < n; ++i) {
            const double *row = design.data() + i * p;
            double eta = 0.0;
            for (size_t j = 0; j < p; ++j) {
                eta += row[j] * w[j];
            }
            const double prob = sigmoid(eta);
            const double residual = prob - y[i];
            const double weight = prob * (1.0 - prob);
            for (size_t j = 0; j < p; ++j) {
                gradient[j] += row[j] * residual;
                for (size_t k = 0; k <= j; ++k) {
                    hessian[j * p + k] += row[j] * row[k] * weight;
                }
            }
        }
        for (size_t j = 0; j < p; ++j) {
            const double penalty = j == 0 ? 0.0 : l2;  // the intercept is not shrunk
            gradient[j] += penalty * w[j];
            hessian[j * p + j] += penalty + 1e-9;
            for (size_t k = 0; k < j; ++k) {
                hessian[k * p + j] = hessian[j * p + k];
            }
        }
        const std::vector<double> step = solveSpd(hessian, gradient, p);
        double largest = 0.0;
        for (size_t j = 0; j < p; ++j) {
            w[j] -= step[j];
            largest = std::max(largest, std::abs(step[j]));
        }
        if (largest < 1e-10) {
            break;
        }
    }
    return w;
}

// Fits on the training items' chosen columns (standardised on the training fold) and returns
// the probability of label 1 for each test item.
std::vector<double> heldOutProbabilities(const std::vector<double> &x, int64_t cols,
                                         const std::vector<int64_t> &train,
                                         const std::vector<int64_t> &test,
                                         const std::vector<int64_t> &labels,
                                         const std::vector<int64_t> &chosen, double l2)
{
    const size_t k = chosen.size();
    const size_t p = k + 1;
    std::vector<double> mean(k, 0.0);
    std::vector<double> sd(k, 0.0);
    for (size_t j = 0; j < k; ++j) {
        for (int64_t i : train) {
            mean[j] += x[size_t(i * cols + chosen[j])];
        }
        mean[j] /= double(train.size());
        for (int64_t i : train) {
            const double centred = x[size_t(i * cols + chosen[j])] - mean[j];
            sd[j] += centred * centred;
        }
        sd[j] = std::max(std::sqrt(sd[j] / double(train.size() - 1)), 1e-12);
    }
    auto designRow = [&](int64_t item, double *row) {
        row[0] = 1.0;
        for (size_t j = 0; j < k; ++j) {
            row[j + 1] = (x[size_t(item * cols + chosen[j])] - mean[j]) / sd[j];
        }
    };
    std::vector<double> design(train.size() * p);
    std::vector<double> y(train.size());
    for (size_t r = 0; r < train.size(); ++r) {
        designRow(train[r], design.data() + r * p);
        y[r] = double(labels[size_t(train[r])]);
    }
    const std::vector<double> w = fitLogistic(design, y, p, l2);
    std::vector<double> probability(test.size());
    std::vector<double> row(p);
    for (size_t t = 0; t < test.size(); ++t) {
        designRow(test[t], row.data());
        double eta = 0.0;
        for (size_t j = 0; j < p; ++j) {
            eta += row[j] * w[j];
        }
        probability[t] = sigmoid(eta);
    }
    return probability;
}

double balancedAccuracy(const std::vector<double> &probability, const std::vector<int64_t> &labels)
{
    double hits[2] = {0, 0};
    double counts[2] = {0, 0};
    for (size_t i = 0; i < labels.size(); ++i) {
        const int cls = int(labels[i]);
        counts[cls] += 1;
        hits[cls] += (probability[i] >= 0.5) == (cls == 1) ? 1 : 0;
    }
    return 0.5 * (hits[0] / counts[0] + hits[1] / counts[1]);
}

// Mann–Whitney AUC with ties counted half.
double areaUnderCurve(const std::vector<double> &probability, const std::vector<int64_t> &labels)
{
    double wins = 0;
    double pairs = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        for (size_t j = 0; j < labels.size(); ++j) {
            if (labels[i] == 1 && labels[j] == 0) {
                wins += probability[i] > probability[j]
                                ? 1.0
                                : (probability[i] == probability[j] ? 0.5 : 0.0);
                pairs += 1;
            }
        }
    }
    return wins / pairs;
}

std::pair<double, double> percentileInterval(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    auto at = [&](double q) {
        const double position = q * double(values.size() - 1);
        const auto lower = size_t(std::floor(position));
        const auto upper = std::min(values.size() - 1, lower + 1);
        return values[lower] + (position - double(lower)) * (values[upper] - values[lower]);
    };
    return {at(0.025), at(0.975)};
}

double mean(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

}  // namespace

std::vector<ComparisonSplit> comparisonSplits(const std::vector<int64_t> &labels,
                                              const ComparisonOptions &options)
{
    // Drawn up front from one generator in the order the splits run, so that every method sees
    // the same splits whatever runs in parallel.
    std::vector<ComparisonSplit> splits;
    std::mt19937_64 rng(options.seed);
    for (int r = 0; r < options.repeats; ++r) {
        splits.push_back({labels, assignFolds(labels, options.folds, rng)});
    }
    std::vector<int64_t> permuted = labels;
    for (int p = 0; p < options.permutations; ++p) {
        std::shuffle(permuted.begin(), permuted.end(), rng);
        splits.push_back({permuted, assignFolds(permuted, options.folds, rng)});
    }
    return splits;
}

struct MethodComparisonRun::State
{
    detail::SelectionTable table;
    std::vector<double> hostX;  // [rows, cols] float64, for the logistic fits
    int64_t cols = 0;
    std::vector<int64_t> labels;
    std::vector<SelectionMethod> methods;
    std::vector<SelectionMethod> pooledWanted;  // what the folds' pooled statistics must cover
    ComparisonOptions options;
    std::vector<ComparisonSplit> splits;
    std::vector<SplitOutcome> outcomes;
    int done = 0;
    // Per-pair quantities of the temporal methods, computed once for every fold.
    std::optional<detail::TemporalPairOrders> temporalOrders;
    std::optional<detail::SeedPairTransforms> seedTransforms;

    SplitOutcome run(const ComparisonSplit &split) const;
    // The k features `method` chooses on one training fold.
    std::vector<int64_t> choose(SelectionMethod method,
                                const std::array<at::Tensor, detail::kPooledMethodCount> &pooled,
                                const std::vector<double> &temporalDiscriminative,
                                const std::vector<double> &temporalCategorical,
                                const std::vector<double> &seedDiscriminative,
                                const std::vector<double> &seedCategorical,
                                const std::vector<int64_t> &train,
                                const std::vector<int64_t> &labels) const;
};

std::vector<int64_t> MethodComparisonRun::State::choose(
        SelectionMethod method, const std::array<at::Tensor, detail::kPooledMethodCount> &pooled,
        const std::vector<double> &temporalDiscriminative,
        const std::vector<double> &temporalCategorical,
        const std::vector<double> &seedDiscriminative, const std::vector<double> &seedCategorical,
        const std::vector<int64_t> &train, const std::vector<int64_t> &labels) const
{
    switch (method) {
        case SelectionMethod::TemporalDiscriminativeRsa:
            return topFeatures(temporalDiscriminative, options.k);
        case SelectionMethod::TemporalCategoricalRsa:
            return topFeatures(temporalCategorical, options.k);
        case SelectionMethod::SeedTemporalDiscriminativeRsa:
            return topFeatures(seedDiscriminative, options.k);
        case SelectionMethod::SeedTemporalCategoricalRsa:
            return topFeatures(seedCategorical, options.k);
        case SelectionMethod::FeatureSetRsa: {
            // Candidates: the best features one at a time by the same score for a set of one.
            const std::vector<double> single = detail::toDoubles(
                    pooled[detail::pooledSlot(SelectionMethod::PooledSeparationR)]);
            const std::vector<int64_t> candidates =
                    topFeatures(single, featureSetCandidateCount(options.k, cols));
            return featureSetRsa(hostX, cols, train, labels, candidates, options.k).features;
        }
        default:
            return topFeatures(detail::toDoubles(pooled[detail::pooledSlot(method)]), options.k);
    }
}

SplitOutcome MethodComparisonRun::State::run(const ComparisonSplit &split) const
{
    const size_t methodCount = methods.size();
    const auto n = static_cast<int64_t>(split.labels.size());
    SplitOutcome outcome;
    outcome.same.assign(methodCount, std::vector<bool>(methodCount, true));
    std::vector<std::vector<double>> probability(methodCount, std::vector<double>(size_t(n), 0.5));
    for (int f = 0; f < options.folds; ++f) {
        std::vector<int64_t> train;
        std::vector<int64_t> test;
        std::vector<int64_t> rowsA;
        std::vector<int64_t> rowsB;
        for (int64_t i = 0; i < n; ++i) {
            if (split.fold[size_t(i)] == f) {
                test.push_back(i);
                continue;
            }
            train.push_back(i);
            (split.labels[size_t(i)] == 0 ? rowsA : rowsB).push_back(i);
        }
        // Selection sees the training fold only: no leakage into the held-out items.
        std::vector<uint8_t> inTraining(size_t(n), 0);
        for (int64_t i : train) {
            inTraining[size_t(i)] = 1;
        }
        const auto scores = detail::pooledScores(table, rowsA, rowsB, pooledWanted);
        std::vector<double> temporalDiscriminative;
        std::vector<double> temporalCategorical;
        if (temporalOrders) {
            const std::vector<uint8_t> codes =
                    detail::temporalPairCodes(*temporalOrders, inTraining, split.labels);
            temporalDiscriminative.resize(size_t(temporalOrders->features));
            temporalCategorical.resize(size_t(temporalOrders->features));
            detail::temporalFoldScores(*temporalOrders, codes, temporalDiscriminative.data(),
                                       temporalCategorical.data());
        }
        std::vector<double> seedDiscriminative;
        std::vector<double> seedCategorical;
        if (seedTransforms) {
            seedDiscriminative.resize(size_t(seedTransforms->features));
            seedCategorical.resize(size_t(seedTransforms->features));
            detail::seedFoldScores(*seedTransforms, inTraining, split.labels,
                                   seedDiscriminative.data(), seedCategorical.data());
        }
        std::vector<std::vector<int64_t>> chosenSets(methodCount);
        // One fit per distinct feature set in this fold.
        std::map<std::vector<int64_t>, std::vector<double>> fitted;
        for (size_t m = 0; m < methodCount; ++m) {
            const std::vector<int64_t> chosen =
                    choose(methods[m], scores, temporalDiscriminative, temporalCategorical,
                           seedDiscriminative, seedCategorical, train, split.labels);
            std::vector<int64_t> set = chosen;
            std::sort(set.begin(), set.end());
            auto known = fitted.find(set);
            if (known == fitted.end()) {
                known = fitted.emplace(set, heldOutProbabilities(hostX, cols, train, test,
                                                                 split.labels, chosen, options.l2))
                                .first;
            }
            for (size_t t = 0; t < test.size(); ++t) {
                probability[m][size_t(test[t])] = known->second[t];
            }
            for (size_t earlier = 0; earlier < m; ++earlier) {
                if (chosenSets[earlier] != set) {
                    outcome.same[m][earlier] = outcome.same[earlier][m] = false;
                }
            }
            chosenSets[m] = std::move(set);
        }
    }
    for (size_t m = 0; m < methodCount; ++m) {
        outcome.accuracy.push_back(balancedAccuracy(probability[m], split.labels));
        outcome.auc.push_back(areaUnderCurve(probability[m], split.labels));
    }
    outcome.probability = std::move(probability);
    return outcome;
}

Result<MethodComparisonRun> MethodComparisonRun::create(const FloatMatrix &x,
                                                        const std::vector<int64_t> &labels,
                                                        const std::vector<SelectionMethod> &methods,
                                                        const ComparisonOptions &options)
{
    for (SelectionMethod method : methods) {
        if (isTemporalMethod(method)) {
            return Status::invalidInput(
                    QStringLiteral("%1 scores aligned token windows: compare methods on a 3-D "
                                   "table (`gyrus-cli represent --pooling window`)")
                            .arg(nameOf(method)));
        }
    }
    return createFrom(x, nullptr, labels, methods, options);
}

Result<MethodComparisonRun> MethodComparisonRun::create(const TemporalTable &windows,
                                                        const std::vector<int64_t> &labels,
                                                        const std::vector<SelectionMethod> &methods,
                                                        const ComparisonOptions &options)
{
    if (!windows.hasConsistentSize()) {
        return Status::invalidInput(QStringLiteral("the temporal table is inconsistent"));
    }
    return createFrom(windows.pooledMean(), &windows, labels, methods, options);
}

Result<MethodComparisonRun> MethodComparisonRun::createFrom(
        const FloatMatrix &x, const TemporalTable *windows, const std::vector<int64_t> &labels,
        const std::vector<SelectionMethod> &methods, const ComparisonOptions &options)
{
    const auto countA = std::count(labels.begin(), labels.end(), 0);
    const auto countB = std::count(labels.begin(), labels.end(), 1);
    if (options.folds < 2 || options.repeats < 1 || options.k < 1 || options.permutations < 0) {
        return Status::invalidInput(
                QStringLiteral("folds ≥ 2, repeats ≥ 1, k ≥ 1 and permutations ≥ 0 please"));
    }
    if (methods.empty()) {
        return Status::invalidInput(QStringLiteral("no selection method to compare"));
    }
    if (countA + countB != long(labels.size()) || countA < options.folds + 1 ||
        countB < options.folds + 1) {
        return Status::invalidInput(
                QStringLiteral(
                        "labels must be 0/1 with more than %1 items per class (got %2 and %3)")
                        .arg(options.folds)
                        .arg(countA)
                        .arg(countB));
    }
    if (!x.hasConsistentSize() || x.rows != long(labels.size())) {
        return Status::invalidInput(
                QStringLiteral("%1 items but %2 labels").arg(x.rows).arg(labels.size()));
    }
    c10::InferenceMode guard;
    const at::Tensor data = detail::toTensor(x, at::kDouble, detail::analysisDevice());
    if (Status finite = detail::checkFinite(data, QStringLiteral("feature table"));
        !finite.isOk()) {
        return finite;
    }
    MethodComparisonRun run;
    run.m_state = std::make_shared<State>();
    State &state = *run.m_state;
    auto wanted = [&](std::initializer_list<SelectionMethod> any) {
        return std::any_of(methods.begin(), methods.end(), [&](SelectionMethod method) {
            return std::find(any.begin(), any.end(), method) != any.end();
        });
    };
    if (windows && wanted({SelectionMethod::TemporalDiscriminativeRsa,
                           SelectionMethod::TemporalCategoricalRsa})) {
        Result<detail::TemporalPairOrders> orders = detail::temporalPairOrders(*windows);
        if (!orders) {
            return orders.status();
        }
        state.temporalOrders = std::move(orders.value());
    }
    if (windows && wanted({SelectionMethod::SeedTemporalDiscriminativeRsa,
                           SelectionMethod::SeedTemporalCategoricalRsa})) {
        Result<detail::SeedPairTransforms> transforms = detail::seedPairTransforms(*windows);
        if (!transforms) {
            return transforms.status();
        }
        state.seedTransforms = std::move(transforms.value());
    }
    for (SelectionMethod method : methods) {
        if (isPooledMethod(method)) {
            state.pooledWanted.push_back(method);
        }
    }
    if (wanted({SelectionMethod::FeatureSetRsa})) {
        state.pooledWanted.push_back(SelectionMethod::PooledSeparationR);
    }
    state.table = detail::selectionTable(data);
    state.hostX.assign(x.values.begin(), x.values.end());
    state.cols = x.cols;
    state.labels = labels;
    state.methods = methods;
    state.options = options;
    state.splits = comparisonSplits(labels, options);
    state.outcomes.resize(state.splits.size());
    return run;
}

Status MethodComparisonRun::step(int splits)
{
    State &state = *m_state;
    const int begin = state.done;
    const int end = std::min(totalSteps(), begin + std::max(1, splits));
    if (begin >= end) {
        return Status::ok();
    }
    // Splits are independent: one per intra-op thread; each split's own tensor work then runs
    // single-threaded (at::parallel_for does not nest), so the cores are not oversubscribed.
    at::parallel_for(begin, end, 1, [&state](int64_t first, int64_t last) {
        c10::InferenceMode guard;
        for (int64_t s = first; s < last; ++s) {
            state.outcomes[size_t(s)] = state.run(state.splits[size_t(s)]);
        }
    });
    state.done = end;
    return Status::ok();
}

bool MethodComparisonRun::isFinished() const
{
    return m_state->done >= totalSteps();
}

int MethodComparisonRun::stepsDone() const
{
    return m_state->done;
}

int MethodComparisonRun::totalSteps() const
{
    return int(m_state->splits.size());
}

int MethodComparisonRun::repeatCount() const
{
    return m_state->options.repeats;
}

bool MethodComparisonRun::inPermutations() const
{
    return m_state->done >= m_state->options.repeats;
}

std::vector<MethodScore> MethodComparisonRun::scores() const
{
    const State &state = *m_state;
    const int repeats = std::min(state.done, state.options.repeats);
    std::vector<MethodScore> scores;
    for (size_t m = 0; m < state.methods.size(); ++m) {
        MethodScore score;
        score.method = state.methods[m];
        for (int s = 0; s < state.done; ++s) {
            const SplitOutcome &outcome = state.outcomes[size_t(s)];
            if (s < repeats) {
                score.repeatAccuracies.push_back(outcome.accuracy[m]);
                score.repeatAucs.push_back(outcome.auc[m]);
                score.repeatProbabilities.push_back(outcome.probability[m]);
            } else {
                score.nullAccuracies.push_back(outcome.accuracy[m]);
            }
        }
        for (size_t earlier = 0; earlier < m && state.done > 0; ++earlier) {
            bool always = state.methods[earlier] != state.methods[m];
            for (int s = 0; s < state.done && always; ++s) {
                always = state.outcomes[size_t(s)].same[m][earlier];
            }
            if (always) {
                score.sameSelectionsAs = nameOf(state.methods[earlier]);
                break;
            }
        }
        if (score.repeatAccuracies.empty()) {
            scores.push_back(score);
            continue;
        }
        score.balancedAccuracy = mean(score.repeatAccuracies);
        score.auc = mean(score.repeatAucs);
        std::tie(score.balancedAccuracyLow, score.balancedAccuracyHigh) =
                percentileInterval(score.repeatAccuracies);
        std::tie(score.aucLow, score.aucHigh) = percentileInterval(score.repeatAucs);
        int atLeast = 0;
        for (double accuracy : score.nullAccuracies) {
            atLeast += accuracy >= score.balancedAccuracy ? 1 : 0;
        }
        if (score.nullAccuracies.empty()) {
            score.nullMean = score.nullLow = score.nullHigh = 0.5;
        } else {
            score.nullMean = mean(score.nullAccuracies);
            std::tie(score.nullLow, score.nullHigh) = percentileInterval(score.nullAccuracies);
        }
        score.p = double(1 + atLeast) / double(1 + score.nullAccuracies.size());
        scores.push_back(score);
    }
    return scores;
}

namespace {

Result<std::vector<MethodScore>> runToTheEnd(Result<MethodComparisonRun> run,
                                             const std::function<bool(int, int)> &progress)
{
    if (!run) {
        return run.status();
    }
    MethodComparisonRun &steps = run.value();
    const int perStep = comparisonSplitsPerStep();
    while (!steps.isFinished()) {
        if (Status stepped = steps.step(perStep); !stepped.isOk()) {
            return stepped;
        }
        if (progress && !progress(steps.stepsDone(), steps.totalSteps())) {
            return Status::cancelled();
        }
    }
    return steps.scores();
}

}  // namespace

Result<EnsembleClassifier> fitEnsembleClassifier(const FloatMatrix &x,
                                                 const std::vector<int64_t> &labels,
                                                 const std::vector<int64_t> &features, double l2)
{
    if (size_t(x.rows) != labels.size() || features.empty()) {
        return Status::invalidInput(
                QStringLiteral("an ensemble needs one label per item and at least one feature"));
    }
    const bool bothLabels = std::count(labels.begin(), labels.end(), 0) > 0 &&
                            std::count(labels.begin(), labels.end(), 1) > 0;
    if (!bothLabels || std::any_of(labels.begin(), labels.end(),
                                   [](int64_t label) { return label != 0 && label != 1; })) {
        return Status::invalidInput(QStringLiteral("an ensemble needs labels 0 and 1, both"));
    }
    for (int64_t feature : features) {
        if (feature < 0 || feature >= x.cols) {
            return Status::invalidInput(
                    QStringLiteral("feature %1 is not a column of the table (%2 columns)")
                            .arg(feature)
                            .arg(x.cols));
        }
    }
    const size_t k = features.size();
    const size_t p = k + 1;
    const size_t n = size_t(x.rows);
    EnsembleClassifier out;
    out.features = features;
    out.means.assign(k, 0.0);
    out.sds.assign(k, 0.0);
    auto value = [&](size_t item, size_t j) {
        return double(x.values[item * size_t(x.cols) + size_t(features[j])]);
    };
    for (size_t j = 0; j < k; ++j) {
        for (size_t i = 0; i < n; ++i) {
            out.means[j] += value(i, j);
        }
        out.means[j] /= double(n);
        for (size_t i = 0; i < n; ++i) {
            const double centred = value(i, j) - out.means[j];
            out.sds[j] += centred * centred;
        }
        out.sds[j] = std::max(std::sqrt(out.sds[j] / double(std::max<size_t>(1, n - 1))), 1e-12);
    }
    std::vector<double> design(n * p);
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        design[i * p] = 1.0;
        for (size_t j = 0; j < k; ++j) {
            design[i * p + j + 1] = (value(i, j) - out.means[j]) / out.sds[j];
        }
        y[i] = double(labels[i]);
    }
    const std::vector<double> w = fitLogistic(design, y, p, l2);
    out.intercept = w[0];
    out.weights.assign(w.begin() + 1, w.end());
    return out;
}

int comparisonSplitsPerStep()
{
    return std::max(1, 4 * at::get_num_threads());
}

Result<std::vector<MethodScore>> compareSelectionMethods(
        const FloatMatrix &x, const std::vector<int64_t> &labels,
        const std::vector<SelectionMethod> &methods, const ComparisonOptions &options,
        const std::function<bool(int done, int total)> &progress)
{
    return runToTheEnd(MethodComparisonRun::create(x, labels, methods, options), progress);
}

Result<std::vector<MethodScore>> compareSelectionMethods(
        const TemporalTable &windows, const std::vector<int64_t> &labels,
        const std::vector<SelectionMethod> &methods, const ComparisonOptions &options,
        const std::function<bool(int done, int total)> &progress)
{
    return runToTheEnd(MethodComparisonRun::create(windows, labels, methods, options), progress);
}

Result<MethodScore> crossValidatedScore(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        SelectionMethod method, const ComparisonOptions &options)
{
    Result<std::vector<MethodScore>> scores = compareSelectionMethods(x, labels, {method}, options);
    if (!scores) {
        return scores.status();
    }
    return scores->front();
}

}  // namespace gyrus::gpu
