#include "gpu/analysis/contrasts.h"

#include "gpu/analysis/analysis_tensors.h"

#include <ATen/ATen.h>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gyrus::gpu {

namespace {

// Per-feature moments of the items of one design cell.
struct Cell
{
    at::Tensor mean;      // [F]
    at::Tensor variance;  // [F], unbiased
    at::Tensor constant;  // [F] bool: every item has the same value
    int64_t n = 0;
};

Cell cellOf(const at::Tensor &x, const std::vector<int64_t> &rows)
{
    const at::Tensor index = at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(x.device());
    const at::Tensor items = x.index_select(0, index);
    Cell cell;
    cell.n = static_cast<int64_t>(rows.size());
    cell.mean = items.mean(0);
    // Two passes (centre, then square) rather than E[x²] − E[x]²: activations with a large
    // offset would otherwise lose their variance to cancellation.
    const at::Tensor centred = items - cell.mean;
    cell.variance = (centred * centred).sum(0) / static_cast<double>(cell.n - 1);
    cell.constant = at::eq(items.amax(0), items.amin(0));
    return cell;
}

std::vector<double> twoSidedP(const std::vector<double> &t, const std::vector<double> &df,
                              const std::vector<bool> &undefined)
{
    std::vector<double> p(t.size(), 1.0);
    for (size_t j = 0; j < t.size(); ++j) {
        if (!undefined[j]) {
            p[j] = studentTwoSidedP(t[j], df[j]);
        }
    }
    return p;
}

// The Welch-type test of Σ c_k m_k = 0 per feature (formulas in contrasts.h).
ContrastResult contrastOfCells(const std::vector<Cell> &cells, const std::vector<double> &weights,
                               QString name)
{
    int64_t total = 0;
    at::Tensor estimate = at::zeros_like(cells[0].mean);
    at::Tensor se2 = at::zeros_like(estimate);
    at::Tensor dfDenominator = at::zeros_like(estimate);
    at::Tensor pooled = at::zeros_like(estimate);
    at::Tensor undefined = at::ones_like(cells[0].constant);
    for (size_t k = 0; k < cells.size(); ++k) {
        const Cell &cell = cells[k];
        const double w = weights[k];
        total += cell.n;
        pooled = pooled + cell.variance * static_cast<double>(cell.n - 1);
        if (w == 0.0) {
            continue;
        }
        estimate = estimate + cell.mean * w;
        const at::Tensor term = cell.variance * (w * w / static_cast<double>(cell.n));
        se2 = se2 + term;
        dfDenominator = dfDenominator + term * term / static_cast<double>(cell.n - 1);
        undefined = at::logical_and(undefined, cell.constant);
    }
    const double dfPooled = static_cast<double>(total - static_cast<int64_t>(cells.size()));
    const at::Tensor zero = at::zeros_like(estimate);
    const at::Tensor t = at::where(undefined, zero, estimate / se2.sqrt());
    const at::Tensor df =
            at::where(undefined, at::full_like(estimate, dfPooled), se2 * se2 / dfDenominator);
    const at::Tensor d = at::where(undefined, zero, estimate / (pooled / dfPooled).sqrt());
    const double hedges = 1.0 - 3.0 / (4.0 * dfPooled - 1.0);

    ContrastResult result;
    result.name = std::move(name);
    result.meanDiff = detail::toDoubles(estimate);
    result.t = detail::toDoubles(t);
    result.df = detail::toDoubles(df);
    result.d = detail::toDoubles(d);
    result.g = detail::toDoubles(d * hedges);
    const at::Tensor undefinedHost = undefined.to(at::kCPU).contiguous();
    const bool *flags = undefinedHost.data_ptr<bool>();
    result.zeroVariance.assign(flags, flags + undefinedHost.numel());
    result.p = twoSidedP(result.t, result.df, result.zeroVariance);
    result.q = benjaminiHochberg(result.p);
    return result;
}

Result<at::Tensor> featureTensor(const FloatMatrix &x, int64_t labelCount, const char *what)
{
    if (!x.hasConsistentSize() || x.rows == 0 || x.cols == 0) {
        return Status::invalidInput(
                QStringLiteral("feature table is empty or inconsistent (%1 × %2, %3 values)")
                        .arg(x.rows)
                        .arg(x.cols)
                        .arg(x.values.size()));
    }
    if (labelCount != x.rows) {
        return Status::invalidInput(QStringLiteral("%1: %2 labels for %3 items")
                                            .arg(QLatin1String(what))
                                            .arg(labelCount)
                                            .arg(x.rows));
    }
    at::Tensor tensor = detail::toTensor(x, at::kDouble, detail::analysisDevice());
    if (Status finite = detail::checkFinite(tensor, QStringLiteral("feature table"));
        !finite.isOk()) {
        return finite;
    }
    return tensor;
}

}  // namespace

double studentTwoSidedP(double t, double df)
{
    if (std::isnan(t) || !(df > 0.0)) {
        return 1.0;
    }
    if (std::isinf(t)) {
        return 0.0;
    }
    const boost::math::students_t distribution(df);
    return std::min(1.0,
                    2.0 * boost::math::cdf(boost::math::complement(distribution, std::abs(t))));
}

double studentTwoSidedCritical(double confidence, double df)
{
    if (!(df > 0.0) || !(confidence > 0.0 && confidence < 1.0)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const boost::math::students_t distribution(df);
    return boost::math::quantile(distribution, 0.5 + confidence / 2.0);
}

std::vector<double> benjaminiHochberg(const std::vector<double> &p)
{
    const size_t m = p.size();
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
    std::vector<double> q(m, 1.0);
    double running = 1.0;
    // From the largest p down: q_(i) = min over j >= i of p_(j) · m / j keeps q monotone in p.
    for (size_t rank = m; rank >= 1; --rank) {
        const size_t index = order[rank - 1];
        running = std::min(running, p[index] * static_cast<double>(m) / static_cast<double>(rank));
        q[index] = std::min(1.0, running);
    }
    return q;
}

Result<ContrastResult> twoGroupContrast(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        int64_t labelA, int64_t labelB,
                                        const ContrastOptions &options)
{
    Result<at::Tensor> tensor =
            featureTensor(x, static_cast<int64_t>(labels.size()), "two-group contrast");
    if (!tensor) {
        return tensor.status();
    }
    std::vector<int64_t> rowsA;
    std::vector<int64_t> rowsB;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] == labelA) {
            rowsA.push_back(static_cast<int64_t>(i));
        } else if (labels[i] == labelB) {
            rowsB.push_back(static_cast<int64_t>(i));
        }
    }
    if (rowsA.size() < 2 || rowsB.size() < 2) {
        return Status::invalidInput(
                QStringLiteral("a two-group contrast needs at least 2 items per condition; label "
                               "%1 has %2, label %3 has %4")
                        .arg(labelA)
                        .arg(rowsA.size())
                        .arg(labelB)
                        .arg(rowsB.size()));
    }
    const std::vector<Cell> cells = {cellOf(*tensor, rowsA), cellOf(*tensor, rowsB)};
    ContrastResult result = contrastOfCells(
            cells, {1.0, -1.0}, QStringLiteral("label %1 - label %2").arg(labelA).arg(labelB));
    result.countA = static_cast<int64_t>(rowsA.size());
    result.countB = static_cast<int64_t>(rowsB.size());

    if (!options.pairs.empty()) {
        std::vector<int64_t> pairA;
        std::vector<int64_t> pairB;
        for (size_t k = 0; k < options.pairs.size(); ++k) {
            const auto [a, b] = options.pairs[k];
            if (a < 0 || b < 0 || a >= x.rows || b >= x.rows ||
                labels[static_cast<size_t>(a)] != labelA ||
                labels[static_cast<size_t>(b)] != labelB) {
                return Status::invalidInput(
                        QStringLiteral("pair %1 (items %2, %3) must join an item labelled %4 with "
                                       "one labelled %5")
                                .arg(k)
                                .arg(a)
                                .arg(b)
                                .arg(labelA)
                                .arg(labelB));
            }
            pairA.push_back(a);
            pairB.push_back(b);
        }
        if (pairA.size() < 2) {
            return Status::invalidInput(QStringLiteral("a paired test needs at least 2 pairs"));
        }
        const at::Device device = tensor->device();
        const auto index = [&](const std::vector<int64_t> &rows) {
            return at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(device);
        };
        const at::Tensor diff =
                tensor->index_select(0, index(pairA)) - tensor->index_select(0, index(pairB));
        const double count = static_cast<double>(pairA.size());
        const at::Tensor mean = diff.mean(0);
        const at::Tensor centred = diff - mean;
        const at::Tensor sd = ((centred * centred).sum(0) / (count - 1.0)).sqrt();
        const at::Tensor constant = at::eq(diff.amax(0), diff.amin(0));
        const at::Tensor t =
                at::where(constant, at::zeros_like(mean), mean / (sd / std::sqrt(count)));
        result.pairedT = detail::toDoubles(t);
        const at::Tensor constantHost = constant.to(at::kCPU).contiguous();
        const bool *flags = constantHost.data_ptr<bool>();
        const std::vector<bool> undefined(flags, flags + constantHost.numel());
        result.pairedP = twoSidedP(
                result.pairedT, std::vector<double>(result.pairedT.size(), count - 1.0), undefined);
        result.pairedQ = benjaminiHochberg(result.pairedP);
        result.pairCount = static_cast<int64_t>(pairA.size());
    }
    return result;
}

Result<FactorialContrasts> factorialContrasts(const FloatMatrix &x,
                                              const std::vector<int64_t> &levelsA,
                                              const std::vector<int64_t> &levelsB)
{
    if (levelsA.size() != levelsB.size()) {
        return Status::invalidInput(QStringLiteral("2 × 2 design: %1 levels of factor A but %2 "
                                                   "of factor B")
                                            .arg(levelsA.size())
                                            .arg(levelsB.size()));
    }
    Result<at::Tensor> tensor =
            featureTensor(x, static_cast<int64_t>(levelsA.size()), "2 × 2 design");
    if (!tensor) {
        return tensor.status();
    }
    const auto distinct = [](std::vector<int64_t> values) {
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        return values;
    };
    const std::vector<int64_t> a = distinct(levelsA);
    const std::vector<int64_t> b = distinct(levelsB);
    if (a.size() != 2 || b.size() != 2) {
        return Status::invalidInput(QStringLiteral("2 × 2 design: factor A has %1 levels and "
                                                   "factor B %2; both need exactly 2")
                                            .arg(a.size())
                                            .arg(b.size()));
    }
    std::vector<std::vector<int64_t>> rows(4);
    for (size_t i = 0; i < levelsA.size(); ++i) {
        const size_t cell = (levelsA[i] == a[1] ? 2U : 0U) + (levelsB[i] == b[1] ? 1U : 0U);
        rows[cell].push_back(static_cast<int64_t>(i));
    }
    FactorialContrasts result;
    std::vector<Cell> cells;
    for (size_t k = 0; k < 4; ++k) {
        result.cellCounts[k] = static_cast<int64_t>(rows[k].size());
        if (rows[k].size() < 2) {
            return Status::invalidInput(
                    QStringLiteral("2 × 2 design: cell (A=%1, B=%2) has %3 items, needs at "
                                   "least 2")
                            .arg(a[k / 2])
                            .arg(b[k % 2])
                            .arg(rows[k].size()));
        }
        cells.push_back(cellOf(*tensor, rows[k]));
    }
    result.mainA =
            contrastOfCells(cells, {-0.5, -0.5, 0.5, 0.5},
                            QStringLiteral("main effect of A (%1 - %2)").arg(a[1]).arg(a[0]));
    result.mainB =
            contrastOfCells(cells, {-0.5, 0.5, -0.5, 0.5},
                            QStringLiteral("main effect of B (%1 - %2)").arg(b[1]).arg(b[0]));
    result.interaction =
            contrastOfCells(cells, {1.0, -1.0, -1.0, 1.0}, QStringLiteral("interaction A × B"));
    return result;
}

}  // namespace gyrus::gpu
