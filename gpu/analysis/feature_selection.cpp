#include "gpu/analysis/feature_selection.h"

#include "gpu/analysis/analysis_tensors.h"
#include "gpu/analysis/pooled_selection.h"
#include "gpu/analysis/temporal_selection.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gyrus::gpu {

namespace {

bool wants(const std::vector<SelectionMethod> &wanted, SelectionMethod method)
{
    return std::find(wanted.begin(), wanted.end(), method) != wanted.end();
}

at::Tensor rowIndex(const std::vector<int64_t> &rows, const at::Device &device)
{
    return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(device);
}

// Σ_{i<j} |x_i − x_j| per feature over the items flagged in `member` ([N] float64 0/1), from the
// sorted table: the k-th smallest member counts +k times and −(n − 1 − k) times.
at::Tensor absoluteDifferenceSum(const detail::SelectionTable &table, const at::Tensor &member,
                                 int64_t count)
{
    const at::Tensor flags = member.index_select(0, table.order.flatten()).view_as(table.sorted);
    const at::Tensor rank = flags.cumsum(0) - flags;
    return (table.sorted * flags * (2.0 * rank - double(count - 1))).sum(0);
}

}  // namespace

namespace detail {

SelectionTable selectionTable(const at::Tensor &x)
{
    SelectionTable table;
    table.x = x;
    std::tie(table.sorted, table.order) = x.sort(0);
    return table;
}

std::array<at::Tensor, kPooledMethodCount> pooledScores(const SelectionTable &table,
                                                        const std::vector<int64_t> &rowsA,
                                                        const std::vector<int64_t> &rowsB,
                                                        const std::vector<SelectionMethod> &wanted)
{
    std::array<at::Tensor, kPooledMethodCount> scores;
    const at::Tensor &x = table.x;
    const auto nA = static_cast<int64_t>(rowsA.size());
    const auto nB = static_cast<int64_t>(rowsB.size());
    const at::Tensor itemsA = x.index_select(0, rowIndex(rowsA, x.device()));
    const at::Tensor itemsB = x.index_select(0, rowIndex(rowsB, x.device()));
    // The moments exactly as twoGroupContrast computes them (same operations, same order), so
    // the univariate and mean-difference selections of a fold do not move by a rounding error.
    const at::Tensor meanA = itemsA.mean(0);
    const at::Tensor meanB = itemsB.mean(0);
    const at::Tensor centredA = itemsA - meanA;
    const at::Tensor centredB = itemsB - meanB;
    const at::Tensor squaresA = (centredA * centredA).sum(0);
    const at::Tensor squaresB = (centredB * centredB).sum(0);
    const at::Tensor maxA = itemsA.amax(0);
    const at::Tensor maxB = itemsB.amax(0);
    const at::Tensor minA = itemsA.amin(0);
    const at::Tensor minB = itemsB.amin(0);
    const at::Tensor difference = meanA - meanB;
    const at::Tensor zero = at::zeros_like(difference);

    if (wants(wanted, SelectionMethod::MeanDifference)) {
        scores[pooledSlot(SelectionMethod::MeanDifference)] = difference.abs();
    }
    if (wants(wanted, SelectionMethod::Univariate)) {
        const at::Tensor varianceA = squaresA / double(nA - 1);
        const at::Tensor varianceB = squaresB / double(nB - 1);
        const at::Tensor se2 = varianceA * (1.0 / double(nA)) + varianceB * (1.0 / double(nB));
        // Welch's t is undefined when both conditions are constant: score 0.
        const at::Tensor undefined = at::logical_and(at::eq(maxA, minA), at::eq(maxB, minB));
        scores[pooledSlot(SelectionMethod::Univariate)] =
                at::where(undefined, zero, difference / se2.sqrt()).abs();
    }
    if (wants(wanted, SelectionMethod::SeedMaxActivation)) {
        scores[pooledSlot(SelectionMethod::SeedMaxActivation)] = at::maximum(maxA, maxB);
    }
    const bool separationR = wants(wanted, SelectionMethod::PooledSeparationR);
    const bool separationD = wants(wanted, SelectionMethod::PooledSeparationD);
    if (!separationR && !separationD) {
        return scores;
    }
    const int64_t n = nA + nB;
    at::Tensor memberA = at::zeros({x.size(0)}, x.options());
    at::Tensor memberB = at::zeros({x.size(0)}, x.options());
    memberA.index_fill_(0, rowIndex(rowsA, x.device()), 1.0);
    memberB.index_fill_(0, rowIndex(rowsB, x.device()), 1.0);
    const at::Tensor sumA = absoluteDifferenceSum(table, memberA, nA);
    const at::Tensor sumB = absoluteDifferenceSum(table, memberB, nB);
    const at::Tensor sumAll = absoluteDifferenceSum(table, memberA + memberB, n);
    const at::Tensor sumBetween = sumAll - sumA - sumB;
    const at::Tensor sumWithin = sumA + sumB;
    const at::Tensor squaresWithin = squaresA * double(nA) + squaresB * double(nB);
    const at::Tensor squaresBetween = squaresA * double(nB) + squaresB * double(nA) +
                                      difference * difference * double(nA * nB);
    const double pairs = double(n * (n - 1) / 2);
    const double pairsBetween = double(nA * nB);
    const double pairsWithin = pairs - pairsBetween;
    const at::Tensor constant = at::eq(at::maximum(maxA, maxB), at::minimum(minA, minB));

    if (separationR) {
        // Point-biserial r between d and the between/within indicator.
        const at::Tensor covariance = sumBetween - sumAll * (pairsBetween / pairs);
        const at::Tensor spread =
                (squaresWithin + squaresBetween - sumAll * sumAll / pairs).clamp_min(0.0);
        const at::Tensor denominator = (spread * (pairsBetween * pairsWithin / pairs)).sqrt();
        scores[pooledSlot(SelectionMethod::PooledSeparationR)] = at::where(
                at::logical_or(constant, denominator <= 0), zero, covariance / denominator);
    }
    if (separationD) {
        const double pairsA = double(nA * (nA - 1) / 2);
        const double pairsB = double(nB * (nB - 1) / 2);
        const at::Tensor meanBetween = sumBetween / pairsBetween;
        const at::Tensor meanWithin = 0.5 * (sumA / pairsA + sumB / pairsB);
        const at::Tensor pooled = ((squaresBetween - sumBetween * sumBetween / pairsBetween +
                                    squaresWithin - sumWithin * sumWithin / pairsWithin) /
                                   (pairs - 2.0))
                                          .clamp_min(0.0)
                                          .sqrt();
        scores[pooledSlot(SelectionMethod::PooledSeparationD)] = at::where(
                at::logical_or(constant, pooled <= 0), zero, (meanBetween - meanWithin) / pooled);
    }
    return scores;
}

}  // namespace detail

Result<std::vector<double>> featureScores(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                          SelectionMethod method)
{
    if (isTemporalMethod(method)) {
        return Status::invalidInput(
                QStringLiteral("%1 needs each item's aligned token window (a 3-D table: "
                               "`gyrus-cli represent --pooling window`)")
                        .arg(nameOf(method)));
    }
    if (method == SelectionMethod::FeatureSetRsa) {
        return Status::invalidInput(QStringLiteral(
                "feature-set-rsa chooses a set of features together, it does not score them one "
                "at a time (featureSetRsaSelection)"));
    }
    if (!x.hasConsistentSize() || x.rows != static_cast<int64_t>(labels.size())) {
        return Status::invalidInput(
                QStringLiteral("%1 items but %2 labels").arg(x.rows).arg(labels.size()));
    }
    std::vector<int64_t> rowsA;
    std::vector<int64_t> rowsB;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] == 0) {
            rowsA.push_back(int64_t(i));
        } else if (labels[i] == 1) {
            rowsB.push_back(int64_t(i));
        }
    }
    if (rowsA.size() + rowsB.size() != labels.size() || rowsA.size() < 2 || rowsB.size() < 2) {
        return Status::invalidInput(
                QStringLiteral(
                        "labels must be 0 or 1 with at least two items each (got %1 and %2 of %3)")
                        .arg(rowsA.size())
                        .arg(rowsB.size())
                        .arg(labels.size()));
    }
    c10::InferenceMode guard;
    const at::Tensor data = detail::toTensor(x, at::kDouble, detail::analysisDevice());
    if (Status finite = detail::checkFinite(data, QStringLiteral("feature table"));
        !finite.isOk()) {
        return finite;
    }
    const detail::SelectionTable table = detail::selectionTable(data);
    const auto scores = detail::pooledScores(table, rowsA, rowsB, {method});
    return detail::toDoubles(scores[detail::pooledSlot(method)]);
}

Result<std::vector<double>> featureScores(const TemporalTable &table,
                                          const std::vector<int64_t> &labels,
                                          SelectionMethod method)
{
    if (!isTemporalMethod(method)) {
        if (!table.hasConsistentSize()) {
            return Status::invalidInput(QStringLiteral("temporal table is inconsistent"));
        }
        return featureScores(table.pooledMean(), labels, method);
    }
    if (method == SelectionMethod::SeedTemporalDiscriminativeRsa ||
        method == SelectionMethod::SeedTemporalCategoricalRsa) {
        Result<detail::SeedPairTransforms> transforms = detail::seedPairTransforms(table);
        if (!transforms) {
            return transforms.status();
        }
        const auto countA = std::count(labels.begin(), labels.end(), 0);
        const auto countB = std::count(labels.begin(), labels.end(), 1);
        if (int64_t(labels.size()) != table.items || countA + countB != long(labels.size()) ||
            countA < 2 || countB < 2) {
            return Status::invalidInput(
                    QStringLiteral("%1 items need labels 0 or 1 with at least two of each")
                            .arg(table.items));
        }
        return detail::seedTemporalScores(transforms.value(),
                                          std::vector<uint8_t>(size_t(table.items), 1), labels,
                                          method == SelectionMethod::SeedTemporalCategoricalRsa
                                                  ? TemporalRsaModel::Categorical
                                                  : TemporalRsaModel::Discriminative);
    }
    Result<TemporalRsaScores> scores = temporalRsaScores(
            table, labels,
            method == SelectionMethod::TemporalCategoricalRsa ? TemporalRsaModel::Categorical
                                                              : TemporalRsaModel::Discriminative);
    if (!scores) {
        return scores.status();
    }
    return std::move(scores->scores);
}

std::vector<int64_t> topFeatures(const std::vector<double> &scores, int64_t k)
{
    std::vector<int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    const auto count = std::min<int64_t>(k, static_cast<int64_t>(order.size()));
    std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](int64_t a, int64_t b) {
        const double sa = std::isfinite(scores[size_t(a)]) ? scores[size_t(a)] : -INFINITY;
        const double sb = std::isfinite(scores[size_t(b)]) ? scores[size_t(b)] : -INFINITY;
        return sa != sb ? sa > sb : a < b;
    });
    order.resize(size_t(count));
    return order;
}

}  // namespace gyrus::gpu
