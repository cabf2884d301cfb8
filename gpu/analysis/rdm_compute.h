#pragma once

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "core/rsa/rdm.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace gyrus::gpu {

/// Dissimilarity between two stimulus patterns x, y (rows of an items × features table):
///   correlation       1 − corr(x, y)            (scipy pdist 'correlation')
///   cosine            1 − x·y / (|x| |y|)       (pdist 'cosine')
///   euclidean         |x − y|                   (pdist 'euclidean')
///   sqeuclidean       |x − y|²                  (pdist 'sqeuclidean')
/// All are computed from one Gram matrix product per block of rows (batched matmul), which is
/// what makes N = 10,000 tractable; the price is cancellation in |x|² + |y|² − 2x·y, so tiny
/// negative results are clamped to 0 (and correlation/cosine to [0, 2]) and the diagonal is
/// exactly 0 by construction (only the upper triangle is computed).
// RdmMetric (core/base/vocabulary.h) names them.

struct RdmOptions
{
    RdmMetric metric = RdmMetric::Correlation;
    /// Feature (column) indices to use, in any order; empty: all features.
    std::vector<int64_t> featureSubset;
    /// Non-negative weight per feature of the input table (before subsetting); empty: all 1.
    /// Weighted as scipy's pdist(w=...): weighted means for correlation, weighted sums of
    /// products and squared differences otherwise.
    std::vector<float> featureWeights;
    /// float64 (default) matches scipy to ~1e-12; float32 halves the time on large inputs and
    /// keeps ~1e-6 relative accuracy for well-scaled data.
    bool doublePrecision = true;
    /// Upper bound on the elements of one Gram block (rows × stimuli), which bounds memory: the
    /// default, 2^25, is 256 MiB in float64.
    int64_t maxBlockElements = int64_t{1} << 25;
};

/// The RDM of the rows of `x` ([N, F], N >= 2). `ids` names the rows (empty: "0" … "N−1").
/// Fails naming the item and feature of a non-finite value, or the item whose pattern has zero
/// norm (cosine) or zero variance (correlation), where the distance is undefined.
Result<Rdm> computeRdm(const FloatMatrix &x, const QStringList &ids,
                       const RdmOptions &options = {});

/// Noise model of the cross-validated Mahalanobis distance.
enum class NoiseModel
{
    Identity,           ///< Σ = I: the cross-validated squared Euclidean distance
    DiagonalShrinkage,  ///< Σ = diag((1 − λ)σ²_f + λ·mean(σ²)), σ² estimated from the partitions
};

struct CrossnobisOptions
{
    NoiseModel noise = NoiseModel::Identity;
    /// λ for DiagonalShrinkage, in [0, 1]; 1 gives a scaled identity.
    double shrinkage = 0.4;
    /// Per-feature noise variances (e.g. GLM residual variances) used instead of the estimate
    /// from the partitions; must be positive. Empty: estimate (or identity).
    std::vector<float> noiseVariance;
    bool doublePrecision = true;
    int64_t maxBlockElements = int64_t{1} << 25;
};

/// Cross-validated Mahalanobis ("crossnobis") RDM from M >= 2 independent partitions (runs,
/// repetitions), each an [N, F] table of the N conditions' patterns estimated in that partition.
/// After whitening each pattern by Σ^(−1/2) (diagonal), with Δ_m = u_i^m − u_j^m,
///   d(i, j) = 1 / (M (M − 1) F) · Σ_{m ≠ l} Δ_m · Δ_l,
/// an unbiased estimate of the squared distance between the true patterns divided by F (noise
/// cancels between independent partitions, so it can be negative). Computed as
///   Σ_{m ≠ l} Δ_m·Δ_l = |Σ_m Δ_m|² − Σ_m |Δ_m|²,
/// i.e. one squared-Euclidean Gram block of the summed patterns minus one per partition.
/// With σ²_f estimated as the pooled variance of the patterns across partitions:
///   σ²_f = Σ_{m,i} (u_{i,f}^m − ū_{i,f})² / (N (M − 1)).
Result<Rdm> crossnobisRdm(const std::vector<FloatMatrix> &partitions, const QStringList &ids,
                          const CrossnobisOptions &options = {});

}  // namespace gyrus::gpu
