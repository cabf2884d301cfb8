#pragma once
// Private to gyrus_gpu (and tests/gpu). A sparse autoencoder at the tensor level, in the SAELens
// layout: what the trainer, the analyses and the steering code use on at::Tensor activations.

#include "core/sae/sae_config.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace gyrus::gpu::detail {

struct Int8Encoder;

/// Feature activations of a batch of rows in compressed sparse rows: row r's active features are
/// features[rowStart[r] .. rowStart[r+1]) in ascending order, with their values.
struct SparseActivations
{
    std::vector<int64_t> rowStart{0};
    std::vector<int32_t> features;
    std::vector<float> values;
    /// Through the int8 screen (SaeModule::buildEncodeScreen): the latents whose screened bound
    /// reached their threshold, summed over the rows (what the exact pass computed, or would
    /// have for rows it left to the plain encode); -1 when the encode was not screened.
    int64_t screenCandidates = -1;

    /// Appends one row given densely (`n` activations, zeros inactive) and closes it.
    void appendDenseRow(const float *row, int64_t n);
};

/// The memory one block of a batched encode may hold for its dense [rows, d_sae] intermediates
/// (pre-activations, mask, activations): 256 MiB is 64 rows of a 262k-feature SAE.
inline constexpr int64_t kEncodeBudgetBytes = int64_t(256) << 20;

/// input·W_enc + b_enc through the AVX-512 BF16 kernel (bf16_dots.h) for a bf16 encoder held as
/// [d_sae, d_in] rows on the CPU (`input` rounded to bf16), float32; undefined when the kernel
/// does not apply (another device or layout, no AVX-512 BF16, autograd).
at::Tensor bf16KernelPreActivations(const at::Tensor &input, const at::Tensor &wEnc,
                                    const at::Tensor &bEnc);

/// The parameters of an SAE. W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in] (row i is
/// latent i's direction), b_dec [d_in], threshold [d_sae] (JumpReLU and BatchTopK only: BatchTopK
/// uses its global inference threshold θ in every entry). All on one device; W_enc and W_dec are
/// float32 or both bfloat16 (a wide SAE stored in bf16 stays bf16: 262k x 2304 is 2.4 GB per
/// matrix in bf16, twice that as float32), everything else float32.
struct SaeWeights
{
    at::Tensor wEnc;
    at::Tensor bEnc;
    at::Tensor wDec;
    at::Tensor bDec;
    at::Tensor threshold;  ///< undefined for Relu and TopK
};

/// Per-token statistics of an input batch under the SAE's input transform (SaeConfig
/// centreInput and inputNormalisation): the SAE sees (x − shift)·inScale, and a vector y in the
/// SAE's space is y·outScale (+ shift for reconstructions) in model units. Each is [B, 1], or
/// undefined where the transform leaves it out.
struct SaeInputFrame
{
    at::Tensor shift;
    at::Tensor inScale;
    at::Tensor outScale;
};

/// An SAE that works on activations in the units it was given (raw model units after export;
/// the trainer's normalised units during training). Inference:
///   x' = the input transform of x (SaeInputFrame; identity for Gyrus-trained SAEs)
///   pre = (x' − b_dec·applyBDecToInput)·W_enc + b_enc
///   Relu: f = ReLU(pre); TopK: the k largest of ReLU(pre) per token;
///   JumpRelu and BatchTopK: f = pre·1[pre > threshold] (BatchTopK is batch-independent at
///   inference, as the paper prescribes)
///   x̂' = f·W_dec + b_dec, mapped back to model units by the inverse transform
class SaeModule
{
public:
    SaeModule() = default;
    SaeModule(SaeConfig config, SaeWeights weights);

    const SaeConfig &config() const { return m_config; }

    const SaeWeights &weights() const { return m_weights; }

    /// Mutable access for the trainer (in-place updates keep the storage). Drops the encode
    /// screen, a copy of W_enc that would no longer match it.
    SaeWeights &mutableWeights()
    {
        m_screen.reset();
        return m_weights;
    }

    /// Checks shapes, dtypes and finiteness; the message names the tensor and both shapes.
    /// Returns an empty string when the module is consistent.
    QString validate() const;

    /// True when the input transform is not the identity (centring or a per-token
    /// normalisation): decode() then returns vectors in the SAE's space, not model units.
    bool transformsInput() const;

    /// The input transform's statistics for `x` [B, d_in] (all undefined when there is none).
    SaeInputFrame inputFrame(const at::Tensor &x) const;

    /// [B, d_in] -> [B, d_sae], after the input transform.
    at::Tensor preActivations(const at::Tensor &x) const;

    /// [B, d_in] -> feature activations [B, d_sae] (dense, float32). With bf16 weights the
    /// input is rounded to bf16 and multiplied in bf16 (float32 accumulation); the bias and the
    /// activation function are applied in float32.
    at::Tensor encode(const at::Tensor &x) const;

    /// The dtype of W_enc and W_dec (float32 or bfloat16).
    at::ScalarType weightDtype() const { return m_weights.wEnc.scalar_type(); }

    /// How many rows one block of a batched encode may hold within `budgetBytes` of dense
    /// intermediates (at least 1).
    int64_t encodeBlockRows(int64_t budgetBytes = kEncodeBudgetBytes) const;

    /// The smallest d_sae for which loadSae builds the encode screen: below it the exact encode
    /// is cheap next to the model (16k x 2304 is ~4 % of Gemma-2-2B's first 13 layers) and the
    /// int8 copy not worth its memory. GYRUS_SAE_SCREEN_ABOVE (latents) overrides it.
    static int64_t screenMinLatents();

    /// True when buildEncodeScreen() builds for an SAE of `config` whose bf16 (`bf16`) encoder
    /// lives on the CPU (`cpu`) on this machine: AVX-512 BF16 for the exact pass and an int8
    /// kernel faster than the portable one for the screen (AMX where the CPU and Linux allow it,
    /// else AVX-512 VNNI), d_in ≤ 32768 and d_sae ≥ `minLatents`.
    static bool screenApplies(const SaeConfig &config, bool cpu, bool bf16,
                              int64_t minLatents = screenMinLatents());

    /// The bytes the screen of a d_sae x d_in encoder holds (about d_sae·d_in: the memory
    /// budget counts them).
    static int64_t screenBytes(int64_t dSae, int64_t dIn);

    /// Builds the encode screen where screenApplies(): an int8 copy of W_enc quantised per
    /// latent (int8_screen.h), with which encodeSparse estimates every pre-activation at several
    /// times the bf16 kernel's rate with a proven bound and computes exactly only the latents
    /// whose bound reaches their threshold: the same codes, bit for bit, for a third (VNNI) to
    /// an eighth (AMX) of the exact encode's time at 131k (bench/scale/README.md). Built once after
    /// the weights are final (mutableWeights() drops it; copies of the module share it). Returns
    /// whether the module now has one.
    bool buildEncodeScreen(int64_t minLatents = screenMinLatents());

    /// True when encodeSparse goes through the encode screen.
    bool screensEncode() const { return m_screen != nullptr; }

    /// encode(x) in blocks of encodeBlockRows(budgetBytes) rows, kept sparse (on the CPU): the
    /// dense activations never exist for more than one block. `onBlock` (optional) is told each
    /// block's row count. With the encode screen the codes are the same, index for index and
    /// value for value, computed as buildEncodeScreen says.
    SparseActivations encodeSparse(const at::Tensor &x, int64_t budgetBytes = kEncodeBudgetBytes,
                                   const std::function<void(int64_t rows)> &onBlock = {}) const;

    /// The activations [B, features.size()] of the listed features only. ReLU and JumpReLU
    /// need only those encoder columns; TopK ranks every latent, so it encodes all of them.
    at::Tensor encodeFeatures(const at::Tensor &x, const std::vector<int64_t> &features) const;

    /// g [B, d_in] -> g·W_decᵀ [B, d_sae] in float32 (a gradient or direction in the model's
    /// space against every decoder row).
    at::Tensor projectOntoDecoder(const at::Tensor &g) const;

    /// The `k` largest activations per token: (values [B, k], indices [B, k] int64), sorted
    /// descending; entries past the active ones have value 0.
    std::pair<at::Tensor, at::Tensor> encodeTopK(const at::Tensor &x, int64_t k) const;

    /// [B, d_sae] -> [B, d_in] in the SAE's space (f·W_dec + b_dec); model units when
    /// transformsInput() is false.
    at::Tensor decode(const at::Tensor &f) const;

    /// decode(f) in model units for the tokens whose inputs were `x`.
    at::Tensor decodeFor(const at::Tensor &f, const at::Tensor &x) const;

    /// Model units per unit of the SAE's space, per token ([B, 1]), e.g. to add a multiple of a
    /// decoder row to the model's activations; undefined when it is 1.
    at::Tensor outputScale(const at::Tensor &x) const { return inputFrame(x).outScale; }

    /// The reconstruction of `x` in model units.
    at::Tensor reconstruct(const at::Tensor &x) const;

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
    /// activation becomes f_i·‖W_dec,i‖. For TopK this changes which latents win: it is the
    /// inference function of a SAELens TopK SAE with rescale_acts_by_decoder_norm.
    SaeModule foldDecoderNorms() const;

private:
    at::Tensor transformed(const at::Tensor &x, const SaeInputFrame &frame) const;
    /// The encoder's input: the input transform, then − b_dec where the config applies it.
    at::Tensor encoderInput(const at::Tensor &x) const;
    at::Tensor activate(const at::Tensor &pre) const;
    /// encodeSparse through the encode screen (sae_screened_encode.cpp).
    SparseActivations encodeSparseScreened(const at::Tensor &x, int64_t budgetBytes,
                                           const std::function<void(int64_t rows)> &onBlock) const;

    SaeConfig m_config;
    SaeWeights m_weights;
    std::shared_ptr<const Int8Encoder> m_screen;  ///< null: no encode screen
};

}  // namespace gyrus::gpu::detail
