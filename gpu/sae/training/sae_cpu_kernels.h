#pragma once
// Private to gyrus_gpu. Hand-written CPU loops for the SAE training step where a chain of ATen
// ops would make several passes over a [batch, d_sae] tensor, or a dense GEMM would multiply
// mostly zeros (sae_objective.cpp). float32, contiguous, CPU only; deterministic for a given
// thread count (fixed row split, partial sums combined in thread order).

#include <ATen/ATen.h>

#include <utility>
#include <vector>

namespace gyrus::gpu::detail {

/// out[e] = Σ_j a[aRows[e], j] · b[bRows[e], j] for every entry e: the gradient of the TopK codes
/// at their k·B active entries, without the dense [B, d]·[d, d_sae] GEMM. a [R, d], b [S, d]
/// float32; aRows, bRows int64 [M]. Returns float32 [M].
at::Tensor gatheredRowDots(const at::Tensor &a, const at::Tensor &aRows, const at::Tensor &b,
                           const at::Tensor &bRows);

/// Column sums and column counts of positive entries of f [B, n] (f >= 0) in one pass:
/// (float32 [n], int64 [n]). Replaces f.sum(0) and f.sign().sum(0), three passes.
std::pair<at::Tensor, at::Tensor> columnSumsAndCounts(const at::Tensor &f);

/// JumpReLU forward on the CPU: f = pre where pre > θ_j, else 0, written into `f` (same shape as
/// pre), with the column sums of f and the column counts of active entries from the same pass.
std::pair<at::Tensor, at::Tensor> jumpReluForward(const at::Tensor &pre,
                                                  const at::Tensor &threshold, at::Tensor &f);

/// JumpReLU backward on the CPU in one pass over pre and dF: returns the column sums Σ_b dF·K and
/// Σ_b K with the rectangle kernel K = 1[|pre − θ| < halfWidth] (the straight-through threshold
/// gradient), and masks dF in place to ∂L/∂pre = dF·1[pre > θ].
std::pair<at::Tensor, at::Tensor> jumpReluBackward(const at::Tensor &pre,
                                                   const at::Tensor &threshold, double halfWidth,
                                                   at::Tensor &dF);

/// dF ← dF·1[f > 0] in place (ReLU's backward without a new [B, n] tensor).
void maskInactive(at::Tensor &dF, const at::Tensor &f);

/// One Adam(W) update in a single pass over p, g, m, v (torch.optim.AdamW's formulas, with
/// g ← gradientScale·g: p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// p ← p − (lr/c1)·m / (√v/√c2 + ε)), instead of eight ATen ops with temporaries.
struct AdamSettings
{
    double lr = 0;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weightDecay = 0;
    double correction1 = 1;    ///< 1 − β1^t
    double correction2 = 1;    ///< 1 − β2^t
    double gradientScale = 1;  ///< the clipping coefficient, applied to g on the fly
};

void adamUpdate(at::Tensor &p, const at::Tensor &g, at::Tensor &m, at::Tensor &v,
                const AdamSettings &settings);

/// Σ g² over every tensor, in float64 (the gradient norm before clipping).
double sumOfSquares(const std::vector<at::Tensor> &tensors);

}  // namespace gyrus::gpu::detail
