#include "gpu/analysis/rdm_compute.h"

#include "gpu/analysis/analysis_tensors.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace gyrus::gpu {

namespace {

QStringList defaultIds(const QStringList &ids, int64_t n)
{
    if (!ids.isEmpty()) {
        return ids;
    }
    QStringList out;
    out.reserve(static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i) {
        out.append(QString::number(i));
    }
    return out;
}

// Fills the condensed upper triangle block by block. `block(i0, i1)` returns the dissimilarities
// of rows [i0, i1) to rows [i0, N) as a [i1 − i0, N − i0] tensor; only entries right of the
// diagonal are kept, so the diagonal never enters the result.
std::vector<float> condensedByBlocks(int64_t n, int64_t maxBlockElements,
                                     const std::function<at::Tensor(int64_t, int64_t)> &block)
{
    std::vector<float> condensed(static_cast<size_t>(Rdm::condensedSize(n)));
    // At least ~8 row blocks: each block only multiplies against the rows at and below its
    // first row, so the Gram work falls from n² towards n²/2 (0.56 n² with 8 blocks).
    const int64_t memoryBound = std::max<int64_t>(1, maxBlockElements / std::max<int64_t>(n, 1));
    const int64_t rowsPerBlock = std::min(memoryBound, std::max<int64_t>(64, (n + 7) / 8));
    for (int64_t i0 = 0; i0 + 1 < n; i0 += rowsPerBlock) {
        const int64_t i1 = std::min(n - 1, i0 + rowsPerBlock);
        const at::Tensor values = block(i0, i1);
        const at::Tensor keep =
                at::ones({i1 - i0, n - i0}, values.options().dtype(at::kBool)).triu(1);
        const at::Tensor upper = values.masked_select(keep).to(at::kCPU, at::kFloat).contiguous();
        std::copy_n(upper.data_ptr<float>(), upper.numel(),
                    condensed.begin() + Rdm::condensedIndex(n, i0, i0 + 1));
    }
    return condensed;
}

// Squared Euclidean distances between rows [i0, i1) and rows [i0, N) of z, from the Gram block.
at::Tensor squaredDistanceBlock(const at::Tensor &z, const at::Tensor &squaredNorms, int64_t i0,
                                int64_t i1)
{
    const at::Tensor rows = z.slice(0, i0, i1);
    const at::Tensor columns = z.slice(0, i0);
    const at::Tensor gram = at::matmul(rows, columns.t());
    return squaredNorms.slice(0, i0, i1).unsqueeze(1) + squaredNorms.slice(0, i0).unsqueeze(0) -
           2.0 * gram;
}

Status checkTable(const FloatMatrix &x, const QString &what)
{
    if (!x.hasConsistentSize()) {
        return Status::invalidInput(QStringLiteral("%1: %2 × %3 table holds %4 values")
                                            .arg(what)
                                            .arg(x.rows)
                                            .arg(x.cols)
                                            .arg(x.values.size()));
    }
    if (x.rows < 2 || x.cols < 1) {
        return Status::invalidInput(
                QStringLiteral("%1: an RDM needs at least 2 stimuli and 1 feature, got %2 × %3")
                        .arg(what)
                        .arg(x.rows)
                        .arg(x.cols));
    }
    return Status::ok();
}

Status checkIds(const QStringList &ids, int64_t n)
{
    if (!ids.isEmpty() && ids.size() != n) {
        return Status::invalidInput(
                QStringLiteral("%1 stimulus ids for %2 stimuli").arg(ids.size()).arg(n));
    }
    return Status::ok();
}

// The first row whose norm is zero, or -1.
int64_t firstZeroRow(const at::Tensor &squaredNorms)
{
    const at::Tensor zero = at::le(squaredNorms, 0.0);
    if (!zero.any().item<bool>()) {
        return -1;
    }
    return zero.nonzero().select(0, 0).select(0, 0).item<int64_t>();
}

}  // namespace

Result<Rdm> computeRdm(const FloatMatrix &x, const QStringList &ids, const RdmOptions &options)
{
    if (Status ok = checkTable(x, QStringLiteral("RDM input")); !ok.isOk()) {
        return ok;
    }
    if (Status ok = checkIds(ids, x.rows); !ok.isOk()) {
        return ok;
    }
    if (!options.featureWeights.empty() &&
        static_cast<int64_t>(options.featureWeights.size()) != x.cols) {
        return Status::invalidInput(QStringLiteral("%1 feature weights for %2 features")
                                            .arg(options.featureWeights.size())
                                            .arg(x.cols));
    }
    for (size_t f = 0; f < options.featureWeights.size(); ++f) {
        const float w = options.featureWeights[f];
        if (!std::isfinite(w) || w < 0.0F) {
            return Status::invalidInput(
                    QStringLiteral("feature weight %1 is %2; weights must be finite and >= 0")
                            .arg(f)
                            .arg(static_cast<double>(w)));
        }
    }
    for (int64_t f : options.featureSubset) {
        if (f < 0 || f >= x.cols) {
            return Status::invalidInput(
                    QStringLiteral("feature %1 out of range [0, %2)").arg(f).arg(x.cols));
        }
    }
    const at::Device device = detail::analysisDevice();
    const at::ScalarType dtype = options.doublePrecision ? at::kDouble : at::kFloat;
    at::Tensor z = detail::toTensor(x, dtype, device);
    if (Status finite = detail::checkFinite(z, QStringLiteral("RDM input")); !finite.isOk()) {
        return finite;
    }
    at::Tensor weights;
    if (!options.featureWeights.empty()) {
        weights = at::tensor(options.featureWeights, at::TensorOptions().dtype(at::kFloat))
                          .to(device, dtype);
    }
    if (!options.featureSubset.empty()) {
        const at::Tensor subset =
                at::tensor(options.featureSubset, at::TensorOptions().dtype(at::kLong)).to(device);
        z = z.index_select(1, subset);
        if (weights.defined()) {
            weights = weights.index_select(0, subset);
        }
    }
    if (weights.defined() && !at::gt(weights.sum(), 0.0).item<bool>()) {
        return Status::invalidInput(QStringLiteral("every selected feature has weight 0"));
    }

    const RdmMetric metric = options.metric;
    if (metric == RdmMetric::Correlation) {
        // Weighted mean as scipy: Σ w x / Σ w.
        const at::Tensor mean = weights.defined()
                                        ? at::matmul(z, weights).unsqueeze(1) / weights.sum()
                                        : z.mean(1, /*keepdim=*/true);
        z = z - mean;
    }
    if (weights.defined()) {
        z = z * weights.sqrt();
    }
    at::Tensor squaredNorms = (z * z).sum(1);
    if (metric == RdmMetric::Correlation || metric == RdmMetric::Cosine) {
        const int64_t zeroRow = firstZeroRow(squaredNorms);
        if (zeroRow >= 0) {
            return Status::invalidInput(
                    QStringLiteral("item %1 %2, so its %3 distance is undefined")
                            .arg(zeroRow)
                            .arg(metric == RdmMetric::Correlation
                                         ? QStringLiteral("is constant across the features")
                                         : QStringLiteral("is all zeros"))
                            .arg(nameOf(metric)));
        }
        z = z / squaredNorms.sqrt().unsqueeze(1);
    }

    const auto block = [&](int64_t i0, int64_t i1) -> at::Tensor {
        if (metric == RdmMetric::Correlation || metric == RdmMetric::Cosine) {
            const at::Tensor gram = at::matmul(z.slice(0, i0, i1), z.slice(0, i0).t());
            return (1.0 - gram).clamp(0.0, 2.0);
        }
        const at::Tensor squared = squaredDistanceBlock(z, squaredNorms, i0, i1).clamp_min(0.0);
        return metric == RdmMetric::Euclidean ? squared.sqrt() : squared;
    };
    std::vector<float> condensed = condensedByBlocks(x.rows, options.maxBlockElements, block);
    return Rdm::fromCondensed(defaultIds(ids, x.rows), std::move(condensed), nameOf(metric));
}

Result<Rdm> crossnobisRdm(const std::vector<FloatMatrix> &partitions, const QStringList &ids,
                          const CrossnobisOptions &options)
{
    const int64_t m = static_cast<int64_t>(partitions.size());
    if (m < 2) {
        return Status::invalidInput(
                QStringLiteral("crossnobis needs at least 2 partitions, got %1").arg(m));
    }
    for (int64_t k = 0; k < m; ++k) {
        const FloatMatrix &part = partitions[static_cast<size_t>(k)];
        if (Status ok = checkTable(part, QStringLiteral("partition %1").arg(k)); !ok.isOk()) {
            return ok;
        }
        if (part.rows != partitions[0].rows || part.cols != partitions[0].cols) {
            return Status::invalidInput(
                    QStringLiteral("partition %1 is %2 × %3 but partition 0 is %4 × %5")
                            .arg(k)
                            .arg(part.rows)
                            .arg(part.cols)
                            .arg(partitions[0].rows)
                            .arg(partitions[0].cols));
        }
    }
    const int64_t n = partitions[0].rows;
    const int64_t features = partitions[0].cols;
    if (Status ok = checkIds(ids, n); !ok.isOk()) {
        return ok;
    }
    if (options.shrinkage < 0.0 || options.shrinkage > 1.0) {
        return Status::invalidInput(
                QStringLiteral("shrinkage must be in [0, 1], got %1").arg(options.shrinkage));
    }
    const at::Device device = detail::analysisDevice();
    const at::ScalarType dtype = options.doublePrecision ? at::kDouble : at::kFloat;
    std::vector<at::Tensor> patterns;
    for (int64_t k = 0; k < m; ++k) {
        patterns.push_back(detail::toTensor(partitions[static_cast<size_t>(k)], dtype, device));
        if (Status finite =
                    detail::checkFinite(patterns.back(), QStringLiteral("partition %1").arg(k));
            !finite.isOk()) {
            return finite;
        }
    }

    at::Tensor variance;
    if (!options.noiseVariance.empty()) {
        if (static_cast<int64_t>(options.noiseVariance.size()) != features) {
            return Status::invalidInput(QStringLiteral("%1 noise variances for %2 features")
                                                .arg(options.noiseVariance.size())
                                                .arg(features));
        }
        variance = at::tensor(options.noiseVariance, at::TensorOptions().dtype(at::kFloat))
                           .to(device, dtype);
        if (!at::isfinite(variance).all().item<bool>() ||
            !at::gt(variance, 0.0).all().item<bool>()) {
            return Status::invalidInput(
                    QStringLiteral("noise variances must be finite and positive"));
        }
    } else if (options.noise == NoiseModel::DiagonalShrinkage) {
        const at::Tensor stacked = at::stack(patterns);  // [M, N, F]
        const at::Tensor residual = stacked - stacked.mean(0, /*keepdim=*/true);
        const at::Tensor sigma2 =
                (residual * residual).sum(at::IntArrayRef{0, 1}) / static_cast<double>(n * (m - 1));
        variance = sigma2 * (1.0 - options.shrinkage) + sigma2.mean() * options.shrinkage;
        if (!at::gt(variance, 0.0).all().item<bool>()) {
            return Status::invalidInput(QStringLiteral(
                    "the partitions are identical on some feature (zero noise variance); use the "
                    "identity noise model or a shrinkage above 0"));
        }
    }
    if (variance.defined()) {
        const at::Tensor whiten = variance.rsqrt();
        for (at::Tensor &pattern : patterns) {
            pattern = pattern * whiten;
        }
    }
    at::Tensor sum = at::zeros_like(patterns[0]);
    std::vector<at::Tensor> norms;
    for (const at::Tensor &pattern : patterns) {
        sum = sum + pattern;
        norms.push_back((pattern * pattern).sum(1));
    }
    const at::Tensor sumNorms = (sum * sum).sum(1);
    const double scale = 1.0 / (static_cast<double>(m) * static_cast<double>(m - 1) *
                                static_cast<double>(features));
    const auto block = [&](int64_t i0, int64_t i1) -> at::Tensor {
        at::Tensor crossed = squaredDistanceBlock(sum, sumNorms, i0, i1);
        for (size_t k = 0; k < patterns.size(); ++k) {
            crossed = crossed - squaredDistanceBlock(patterns[k], norms[k], i0, i1);
        }
        return crossed * scale;
    };
    std::vector<float> condensed = condensedByBlocks(n, options.maxBlockElements, block);
    return Rdm::fromCondensed(defaultIds(ids, n), std::move(condensed),
                              options.noise == NoiseModel::Identity && options.noiseVariance.empty()
                                      ? QStringLiteral("crossnobis:identity")
                                      : QStringLiteral("crossnobis:diagonal"));
}

}  // namespace gyrus::gpu
