#include "gpu/analysis/method_comparison.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace gyrus::gpu {

namespace {

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
                featureScores(selectRows(x, train), trainLabels, method);
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

Result<MethodComparisonRun> MethodComparisonRun::create(const FloatMatrix &x,
                                                        const std::vector<int64_t> &labels,
                                                        SelectionMethod method,
                                                        const ComparisonOptions &options)
{
    const auto countA = std::count(labels.begin(), labels.end(), 0);
    const auto countB = std::count(labels.begin(), labels.end(), 1);
    if (options.folds < 2 || options.repeats < 1 || options.k < 1 || options.permutations < 0) {
        return Status::invalidInput(
                QStringLiteral("folds ≥ 2, repeats ≥ 1, k ≥ 1 and permutations ≥ 0 please"));
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
    MethodComparisonRun run;
    run.m_x = x;
    run.m_labels = labels;
    run.m_method = method;
    run.m_options = options;
    run.m_rng.seed(options.seed);
    run.m_permuted = labels;
    return run;
}

Status MethodComparisonRun::step()
{
    if (isFinished()) {
        return Status::ok();
    }
    c10::InferenceMode guard;
    Status status;
    if (m_done < m_options.repeats) {
        const std::vector<double> probability =
                outOfFold(m_x, m_labels, m_method, m_options, m_rng, &status);
        if (!status.isOk()) {
            return status;
        }
        m_accuracies.push_back(balancedAccuracy(probability, m_labels));
        m_aucs.push_back(areaUnderCurve(probability, m_labels));
    } else {
        std::shuffle(m_permuted.begin(), m_permuted.end(), m_rng);
        const std::vector<double> probability =
                outOfFold(m_x, m_permuted, m_method, m_options, m_rng, &status);
        if (!status.isOk()) {
            return status;
        }
        m_null.push_back(balancedAccuracy(probability, m_permuted));
    }
    ++m_done;
    return Status::ok();
}

MethodScore MethodComparisonRun::score() const
{
    MethodScore score;
    score.method = m_method;
    if (m_accuracies.empty()) {
        return score;
    }
    score.balancedAccuracy = std::accumulate(m_accuracies.begin(), m_accuracies.end(), 0.0) /
                             double(m_accuracies.size());
    score.auc = std::accumulate(m_aucs.begin(), m_aucs.end(), 0.0) / double(m_aucs.size());
    std::tie(score.balancedAccuracyLow, score.balancedAccuracyHigh) =
            percentileInterval(m_accuracies);
    std::tie(score.aucLow, score.aucHigh) = percentileInterval(m_aucs);
    int atLeast = 0;
    for (double accuracy : m_null) {
        atLeast += accuracy >= score.balancedAccuracy ? 1 : 0;
    }
    if (m_null.empty()) {
        score.nullMean = score.nullLow = score.nullHigh = 0.5;
    } else {
        score.nullMean = std::accumulate(m_null.begin(), m_null.end(), 0.0) / double(m_null.size());
        std::tie(score.nullLow, score.nullHigh) = percentileInterval(m_null);
    }
    score.p = double(1 + atLeast) / double(1 + m_null.size());
    return score;
}

Result<MethodScore> crossValidatedScore(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        SelectionMethod method, const ComparisonOptions &options)
{
    Result<MethodComparisonRun> run = MethodComparisonRun::create(x, labels, method, options);
    if (!run) {
        return run.status();
    }
    MethodComparisonRun &steps = run.value();
    while (!steps.isFinished()) {
        if (Status stepped = steps.step(); !stepped.isOk()) {
            return stepped;
        }
    }
    return steps.score();
}

}  // namespace gyrus::gpu
