#pragma once
// Private to gyrus_gpu (and tests/gpu). A sparse autoencoder at the tensor level, in the SAELens
// layout: what the trainer, the analyses and the steering code use on at::Tensor activations.

#include "gpu/sae/sae_config.h"

#include <ATen/ATen.h>

#include <utility>

namespace gyrus::gpu::detail {

/// The parameters of an SAE. W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in] (row i is
/// latent i's direction), b_dec [d_in], threshold [d_sae] (JumpReLU and BatchTopK only: BatchTopK
/// uses its global inference threshold θ in every entry). All float32 on one device.
struct SaeWeights
{
    at::Tensor wEnc;
    at::Tensor bEnc;
    at::Tensor wDec;
    at::Tensor bDec;
    at::Tensor threshold;  ///< undefined for Relu and TopK
};

/// An SAE that works on activations in the units it was given (raw model units after export;
/// the trainer's normalised units during training). Inference:
///   pre = (x − b_dec·applyBDecToInput)·W_enc + b_enc
///   Relu: f = ReLU(pre); TopK: the k largest of ReLU(pre) per token;
///   JumpRelu and BatchTopK: f = pre·1[pre > threshold] (BatchTopK is batch-independent at
///   inference, as the paper prescribes)
///   x̂ = f·W_dec + b_dec
class SaeModule
{
public:
    SaeModule() = default;
    SaeModule(SaeConfig config, SaeWeights weights);

    const SaeConfig &config() const { return m_config; }

    const SaeWeights &weights() const { return m_weights; }

    /// Mutable access for the trainer (in-place updates keep the storage).
    SaeWeights &mutableWeights() { return m_weights; }

    /// Checks shapes, dtypes and finiteness; the message names the tensor and both shapes.
    /// Returns an empty string when the module is consistent.
    QString validate() const;

    /// [B, d_in] -> [B, d_sae].
    at::Tensor preActivations(const at::Tensor &x) const;

    /// [B, d_in] -> feature activations [B, d_sae] (dense).
    at::Tensor encode(const at::Tensor &x) const;

    /// The `k` largest activations per token: (values [B, k], indices [B, k] int64), sorted
    /// descending; entries past the active ones have value 0.
    std::pair<at::Tensor, at::Tensor> encodeTopK(const at::Tensor &x, int64_t k) const;

    /// [B, d_sae] -> [B, d_in].
    at::Tensor decode(const at::Tensor &f) const;

    /// decode(encode(x)).
    at::Tensor reconstruct(const at::Tensor &x) const { return decode(encode(x)); }

    /// A copy on `device` (the weights are copied; the original is unchanged).
    SaeModule to(const at::Device &device) const;

    /// A deep copy (cloned weights).
    SaeModule clone() const;

    /// The same function with the input scale folded in: the returned module takes raw inputs
    /// x_raw where this one takes s·x_raw, and returns raw reconstructions (SAELens
    /// fold_activation_norm_scaling_factor: W_enc·s, b_dec/s, W_dec/s; features unchanged).
    SaeModule foldInputScale(double scale) const;

    /// The same function with unit-norm decoder rows: W_enc columns, b_enc and threshold are
    /// multiplied by ‖W_dec,i‖, W_dec rows divided by it (April 2024 export). Feature i's
    /// activation becomes f_i·‖W_dec,i‖. Not valid for TopK (the top-k set would change).
    SaeModule foldDecoderNorms() const;

private:
    SaeConfig m_config;
    SaeWeights m_weights;
};

}  // namespace gyrus::gpu::detail
