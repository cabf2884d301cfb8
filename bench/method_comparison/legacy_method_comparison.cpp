// The method comparison as Gyrus computed it before the per-fold statistics were shared and
// vectorised (main at bcfb179: gpu/analysis/feature_selection.cpp and method_comparison.cpp),
// kept verbatim apart from names, so that the bench can time it and the tests can check that the
// new code gives the same numbers. Not part of the product.

#include "bench/method_comparison/legacy_method_comparison.h"

#include "gpu/analysis/contrasts.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus::bench {

using namespace gyrus::gpu;

namespace {

// Item pairs i < j as two index vectors, and whether each pair is between conditions.
struct Pairs
{
    at::Tensor first;
    at::Tensor second;
    at::Tensor between;  // float 0/1
    at::Tensor withinA;
    at::Tensor withinB;
};

Pairs itemPairs(const std::vector<int64_t> &labels)
{
    std::vector<int64_t> first;
    std::vector<int64_t> second;
    std::vector<float> between;
    std::vector<float> withinA;
    std::vector<float> withinB;
    const auto n = static_cast<int64_t>(labels.size());
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            first.push_back(i);
            second.push_back(j);
            const bool differ = labels[size_t(i)] != labels[size_t(j)];
            between.push_back(differ ? 1.f : 0.f);
            withinA.push_back(!differ && labels[size_t(i)] == 0 ? 1.f : 0.f);
            withinB.push_back(!differ && labels[size_t(i)] == 1 ? 1.f : 0.f);
        }
    }
    const auto count = static_cast<int64_t>(first.size());
    auto toTensor = [count](auto &values, at::ScalarType type) {
        return at::from_blob(values.data(), {count}, type).clone();
    };
    return {toTensor(first, at::kLong), toTensor(second, at::kLong), toTensor(between, at::kFloat),
            toTensor(withinA, at::kFloat), toTensor(withinB, at::kFloat)};
}

Result<std::vector<double>> legacyFeatureScores(const FloatMatrix &x,
                                                const std::vector<int64_t> &labels,
                                                SelectionMethod method)
{
    if (!x.hasConsistentSize() || x.rows != static_cast<int64_t>(labels.size())) {
        return Status::invalidInput(
                QStringLiteral("%1 items but %2 labels").arg(x.rows).arg(labels.size()));
    }
    const auto countA = std::count(labels.begin(), labels.end(), 0);
    const auto countB = std::count(labels.begin(), labels.end(), 1);
    if (countA + countB != static_cast<long>(labels.size()) || countA < 2 || countB < 2) {
        return Status::invalidInput(
                QStringLiteral(
                        "labels must be 0 or 1 with at least two items each (got %1 and %2 of %3)")
                        .arg(countA)
                        .arg(countB)
                        .arg(labels.size()));
    }
    if (method == SelectionMethod::Univariate || method == SelectionMethod::MeanDifference) {
        Result<ContrastResult> contrast = twoGroupContrast(x, labels, 0, 1);
        if (!contrast) {
            return contrast.status();
        }
        const std::vector<double> &source =
                method == SelectionMethod::Univariate ? contrast->t : contrast->meanDiff;
        std::vector<double> scores(source.size());
        std::transform(source.begin(), source.end(), scores.begin(),
                       [](double v) { return std::abs(v); });
        return scores;
    }

    c10::InferenceMode guard;
    const at::Tensor data =
            at::from_blob(const_cast<float *>(x.values.data()), {x.rows, x.cols}, at::kFloat)
                    .to(at::kDouble);
    const Pairs pairs = itemPairs(labels);
    const at::Tensor between = pairs.between.to(at::kDouble).unsqueeze(1);
    std::vector<double> scores(static_cast<size_t>(x.cols), 0.0);
    // Features in chunks so the pair × feature distance matrix stays under ~64 M values.
    const int64_t pairCount = pairs.first.size(0);
    const int64_t chunk =
            std::max<int64_t>(1, (int64_t(1) << 26) / std::max<int64_t>(1, pairCount));
    for (int64_t begin = 0; begin < x.cols; begin += chunk) {
        const int64_t width = std::min(chunk, x.cols - begin);
        const at::Tensor block = data.narrow(1, begin, width);
        const at::Tensor d =
                (block.index_select(0, pairs.first) - block.index_select(0, pairs.second)).abs();
        at::Tensor score;
        if (method == SelectionMethod::PooledSeparationR) {
            const at::Tensor dc = d - d.mean(0, true);
            const at::Tensor mc = between - between.mean();
            const at::Tensor denominator = (dc.pow(2).sum(0) * mc.pow(2).sum()).sqrt();
            score = at::where(denominator > 0, (dc * mc).sum(0) / denominator,
                              at::zeros_like(denominator));
        } else {
            auto meanOver = [&](const at::Tensor &mask) {
                return (d * mask.to(at::kDouble).unsqueeze(1)).sum(0) / mask.sum().item<double>();
            };
            const at::Tensor within = pairs.withinA.to(at::kDouble).unsqueeze(1) +
                                      pairs.withinB.to(at::kDouble).unsqueeze(1);
            const double nBetween = pairs.between.sum().item<double>();
            const double nWithin = pairCount - nBetween;
            const at::Tensor meanBetween = meanOver(pairs.between);
            const at::Tensor meanWithin = 0.5 * (meanOver(pairs.withinA) + meanOver(pairs.withinB));
            const at::Tensor varBetween =
                    ((d - meanBetween).pow(2) * between).sum(0) / (nBetween - 1);
            const at::Tensor allWithinMean = (d * within).sum(0) / nWithin;
            const at::Tensor varWithin =
                    ((d - allWithinMean).pow(2) * within).sum(0) / (nWithin - 1);
            const at::Tensor pooled = (((nBetween - 1) * varBetween + (nWithin - 1) * varWithin) /
                                       (nBetween + nWithin - 2))
                                              .sqrt();
            score = at::where(pooled > 0, (meanBetween - meanWithin) / pooled,
                              at::zeros_like(pooled));
        }
        const at::Tensor cpu = score.contiguous();
        std::copy(cpu.data_ptr<double>(), cpu.data_ptr<double>() + width, scores.begin() + begin);
    }
    return scores;
}

FloatMatrix selectRows(const FloatMatrix &x, const std::vector<int64_t> &rows)
{
    FloatMatrix out;
    out.rows = static_cast<int64_t>(rows.size());
    out.cols = x.cols;
    out.values.reserve(size_t(out.rows * out.cols));
    for (int64_t r : rows) {
        out.values.insert(out.values.end(), x.values.begin() + r * x.cols,
                          x.values.begin() + (r + 1) * x.cols);
    }
    return out;
}

// [rows, features] of the chosen columns, as doubles.
at::Tensor columns(const FloatMatrix &x, const std::vector<int64_t> &rows,
                   const std::vector<int64_t> &cols)
{
    at::Tensor out = at::empty({int64_t(rows.size()), int64_t(cols.size())}, at::kDouble);
    auto a = out.accessor<double, 2>();
    for (size_t i = 0; i < rows.size(); ++i) {
        for (size_t j = 0; j < cols.size(); ++j) {
            a[int64_t(i)][int64_t(j)] = x.at(rows[i], cols[j]);
        }
    }
    return out;
}

// L2 logistic regression by Newton's method (a handful of standardised features: exact and fast).
at::Tensor fitLogistic(const at::Tensor &features, const at::Tensor &y, double l2)
{
    const int64_t n = features.size(0);
    const at::Tensor design = at::cat({at::ones({n, 1}, at::kDouble), features}, 1);
    const int64_t p = design.size(1);
    at::Tensor penalty = at::eye(p, at::kDouble) * l2;
    penalty[0][0] = 0.0;  // the intercept is not shrunk
    at::Tensor w = at::zeros({p}, at::kDouble);
    for (int iteration = 0; iteration < 50; ++iteration) {
        const at::Tensor prob = at::sigmoid(design.matmul(w));
        const at::Tensor gradient = design.t().matmul(prob - y) + penalty.matmul(w);
        const at::Tensor hessian = design.t().matmul(design * (prob * (1 - prob)).unsqueeze(1)) +
                                   penalty + at::eye(p, at::kDouble) * 1e-9;
        const at::Tensor step = at::linalg_solve(hessian, gradient);
        w = w - step;
        if (step.abs().max().item<double>() < 1e-10) {
            break;
        }
    }
    return w;
}

// Out-of-fold probabilities of one stratified k-fold split.
std::vector<double> outOfFold(const FloatMatrix &x, const std::vector<int64_t> &labels,
                              SelectionMethod method, const ComparisonOptions &options,
                              std::mt19937_64 &rng, Status *status)
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
            fold[size_t(members[position])] = int(position % size_t(options.folds));
        }
    }
    std::vector<double> probability(size_t(n), 0.5);
    for (int f = 0; f < options.folds; ++f) {
        std::vector<int64_t> train;
        std::vector<int64_t> test;
        for (int64_t i = 0; i < n; ++i) {
            (fold[size_t(i)] == f ? test : train).push_back(i);
        }
        std::vector<int64_t> trainLabels;
        for (int64_t i : train) {
            trainLabels.push_back(labels[size_t(i)]);
        }
        // Selection sees the training fold only: no leakage into the held-out items.
        Result<std::vector<double>> scores =
                legacyFeatureScores(selectRows(x, train), trainLabels, method);
        if (!scores) {
            *status = scores.status();
            return {};
        }
        const std::vector<int64_t> chosen = topFeatures(scores.value(), options.k);
        at::Tensor trainX = columns(x, train, chosen);
        at::Tensor testX = columns(x, test, chosen);
        const at::Tensor mean = trainX.mean(0, true);
        const at::Tensor sd = trainX.std(0, true, true).clamp_min(1e-12);
        trainX = (trainX - mean) / sd;
        testX = (testX - mean) / sd;
        const at::Tensor y =
                at::from_blob(trainLabels.data(), {int64_t(trainLabels.size())}, at::kLong)
                        .to(at::kDouble);
        const at::Tensor w = fitLogistic(trainX, y, options.l2);
        const at::Tensor prob =
                at::sigmoid(
                        at::cat({at::ones({testX.size(0), 1}, at::kDouble), testX}, 1).matmul(w))
                        .contiguous();
        for (size_t t = 0; t < test.size(); ++t) {
            probability[size_t(test[t])] = prob.data_ptr<double>()[t];
        }
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

}  // namespace

Result<MethodScore> legacyCrossValidatedScore(const FloatMatrix &x,
                                              const std::vector<int64_t> &labels,
                                              SelectionMethod method,
                                              const ComparisonOptions &options)
{
    c10::InferenceMode guard;
    std::mt19937_64 rng(options.seed);
    std::vector<int64_t> permuted = labels;
    std::vector<double> accuracies;
    std::vector<double> aucs;
    std::vector<double> null;
    Status status;
    for (int r = 0; r < options.repeats; ++r) {
        const std::vector<double> probability = outOfFold(x, labels, method, options, rng, &status);
        if (!status.isOk()) {
            return status;
        }
        accuracies.push_back(balancedAccuracy(probability, labels));
        aucs.push_back(areaUnderCurve(probability, labels));
    }
    for (int p = 0; p < options.permutations; ++p) {
        std::shuffle(permuted.begin(), permuted.end(), rng);
        const std::vector<double> probability =
                outOfFold(x, permuted, method, options, rng, &status);
        if (!status.isOk()) {
            return status;
        }
        null.push_back(balancedAccuracy(probability, permuted));
    }
    MethodScore score;
    score.method = method;
    score.balancedAccuracy =
            std::accumulate(accuracies.begin(), accuracies.end(), 0.0) / double(accuracies.size());
    score.auc = std::accumulate(aucs.begin(), aucs.end(), 0.0) / double(aucs.size());
    std::tie(score.balancedAccuracyLow, score.balancedAccuracyHigh) =
            percentileInterval(accuracies);
    std::tie(score.aucLow, score.aucHigh) = percentileInterval(aucs);
    int atLeast = 0;
    for (double accuracy : null) {
        atLeast += accuracy >= score.balancedAccuracy ? 1 : 0;
    }
    if (null.empty()) {
        score.nullMean = score.nullLow = score.nullHigh = 0.5;
    } else {
        score.nullMean = std::accumulate(null.begin(), null.end(), 0.0) / double(null.size());
        std::tie(score.nullLow, score.nullHigh) = percentileInterval(null);
    }
    score.p = double(1 + atLeast) / double(1 + null.size());
    score.repeatAccuracies = accuracies;
    score.repeatAucs = aucs;
    score.nullAccuracies = null;
    return score;
}

}  // namespace gyrus::bench
