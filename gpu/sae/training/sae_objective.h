#pragma once
// Private to gyrus_gpu (and tests/gpu). The training objective of each SAE architecture: the
// forward pass with its loss terms and the analytic gradient of the total loss. Gradients are
// written out by hand (no autograd graph): the [B, d_sae] intermediates are freed as soon as
// possible, and the straight-through estimators of JumpReLU need no custom autograd function.
// tests/gpu/tst_sae_module.cpp checks every gradient against autograd on the same formulas.

#include "gpu/sae/sae_module.h"

namespace gyrus::gpu::detail {
class BatchReducer;
}

#include <ATen/ATen.h>

namespace gyrus::gpu::detail {

/// Buffers a training loop hands from step to step on the CPU. The [B, d_sae] intermediates are
/// 64 MB at B = d_sae = 4096, above glibc's mmap threshold: fresh ones cost a page fault per 4 KB
/// and the zeroing of every page on every step.
struct SaeWorkspace
{
    at::Tensor pre;
    at::Tensor f;
    at::Tensor dF;
};

/// What a training step needs besides the weights.
struct SaeLossSettings
{
    double sparsityCoefficient = 0;  ///< Relu: L1 λ (already warmed up); JumpRelu: L0 λ
    double auxKCoefficient = 0;      ///< TopK / BatchTopK: α of AuxK
    int64_t kAux = 0;                ///< AuxK: latents per token chosen among the dead ones
    at::Tensor deadMask;             ///< [d_sae] bool; undefined or all false: no AuxK term
    double jumpReluBandwidth = 0.05;
    /// Mixed precision of the matmuls (kFloat for none). Losses and gradients are accumulated
    /// in float32 whatever this says.
    at::ScalarType matmulType = at::kFloat;
    /// CPU float32 only: reuse these buffers (null: allocate). Nothing returned aliases them.
    SaeWorkspace *workspace = nullptr;
    /// Data-parallel: this batch is one rank's share of a batch of `reducer`'s ranks. Losses and
    /// gradients are then divided by the rows of the whole batch (so the ranks' sums are the
    /// whole batch's), BatchTopK keeps the k·B largest activations of the whole batch, and AuxK
    /// normalises by the whole batch's residual variance. Null: the batch is the whole batch.
    BatchReducer *reducer = nullptr;
    int64_t wholeBatchRows = 0;  ///< with `reducer`: rows over every rank
};

/// Loss terms of one batch, as 0-d float tensors on the weights' device (no host sync).
struct SaeLossTerms
{
    at::Tensor total;
    at::Tensor mse;       ///< Σ_d (x̂ − x)², mean over the batch
    at::Tensor sparsity;  ///< Relu: Σ_i f_i·‖W_dec,i‖; JumpRelu: Σ_i 1[pre_i > θ_i] (batch mean)
    at::Tensor auxK;   ///< normalised AuxK loss (before α); 0 without dead latents
    at::Tensor l0;     ///< mean number of active latents per token
    at::Tensor l1;     ///< mean Σ_i f_i
    at::Tensor fired;  ///< [d_sae] int64: tokens of the batch on which each latent fired
    at::Tensor
            variance;  ///< Σ_d ‖x − mean_batch(x)‖², mean over the batch (FVU); not with a reducer
    at::Tensor batchTopKMin;  ///< BatchTopK: the smallest positive kept activation (θ update)
};

/// Gradients of `total` with respect to each parameter (same shapes). `logThreshold` is the
/// gradient with respect to log θ (JumpRelu trains θ = exp(log θ)); undefined otherwise.
struct SaeGradients
{
    at::Tensor wEnc;
    at::Tensor bEnc;
    at::Tensor wDec;
    at::Tensor bDec;
    at::Tensor logThreshold;
};

struct SaeStepResult
{
    SaeLossTerms loss;
    SaeGradients gradients;
};

/// Forward pass of `module` on the batch `x` [B, d_in] with the training rule of its
/// architecture (BatchTopK selects the top k·B activations of the batch), the loss terms and,
/// when `withGradients`, the gradient of the total loss.
SaeStepResult saeForwardBackward(const SaeModule &module, const at::Tensor &x,
                                 const SaeLossSettings &settings, bool withGradients);

}  // namespace gyrus::gpu::detail
