#pragma once
// Private to gyrus_gpu (and tests/gpu). The tensor maths of one transformer block, as free
// functions on plain at::Tensor weights so that tests can check each against its textbook formula.
// Each follows the Hugging Face op of the family that uses it (model_families.md §0.5).
//
// Layouts: activations are [batch, tokens, d_model]; positions are int64 [tokens] (absolute).

#include "gpu/model/model_config.h"

#include <ATen/ATen.h>

#include <optional>

namespace gyrus::gpu::detail {

/// RMSNorm as Hugging Face Llama computes it: in fp32, then cast back before the weight.
at::Tensor rmsNorm(const at::Tensor &x, const at::Tensor &weight, double eps);

/// Gemma's RMSNorm: (x / rms(x)) * (1 + w) in fp32, then cast (weights stored zero-centred).
at::Tensor offsetRmsNorm(const at::Tensor &x, const at::Tensor &weight, double eps);

/// The norm of `kind` over the last dimension (`bias` only for LayerNorm; may be undefined).
at::Tensor normalize(const at::Tensor &x, NormKind kind, const at::Tensor &weight,
                     const at::Tensor &bias, double eps);

/// The norm without its weight (and bias): x / rms(x), or (x - mean) / std for LayerNorm, in
/// x's dtype. TransformerLens's hook_normalized is this value.
at::Tensor normalizeWithoutGain(const at::Tensor &x, NormKind kind, double eps);

/// normalizeWithoutGain()'s result times the norm's weight (1 + w for Gemma), plus its bias.
at::Tensor applyNormGain(const at::Tensor &normalized, NormKind kind, const at::Tensor &weight,
                         const at::Tensor &bias);

/// The activation in place where the op allows it; returns the result.
at::Tensor activate(at::Tensor x, Activation activation);

/// RoPE inverse frequencies [rotaryDim / 2] in fp32: 1/theta^(2i/d), then the scaling
/// (linear: divided by the factor; llama3: Hugging Face `_compute_llama3_parameters`).
at::Tensor ropeInverseFrequencies(int rotaryDim, double theta,
                                  const std::optional<RopeScaling> &scaling);

/// cos and sin tables [tokens, head_dim] (fp32) for the given positions: the rotary frequencies
/// 1/theta^(2i/d) of positions / linearScale, duplicated over both halves (HF `cat(freqs, freqs)`).
struct RopeTables
{
    at::Tensor cos;
    at::Tensor sin;
    at::Tensor sinSigned;  ///< [-sin, sin] over the two halves: rotate_half's sign folded in
};

RopeTables ropeTables(const at::Tensor &positions, int headDim, double theta, double linearScale);

/// The same from inverse frequencies (ropeInverseFrequencies) on positions' device.
RopeTables ropeTables(const at::Tensor &positions, const at::Tensor &inverseFrequencies);

/// Rotates x [batch, tokens, heads, head_dim] with HF's `rotate_half` convention:
/// x·cos + rotate_half(x)·sin, where rotate_half([a, b]) = [-b, a]. Tables are cast to x's dtype.
/// Tables narrower than head_dim rotate only the first dims (GPT-NeoX partial rotary).
at::Tensor applyRope(const at::Tensor &x, const RopeTables &tables);

/// Causal grouped-query attention over a key/value history.
/// q: [batch, tokens, heads, head_dim] (rotated); k, v: [batch, kv_heads, keys, head_dim] where the
/// last `tokens` keys belong to the queries (keys before them are the cached past).
/// Returns [batch, tokens, heads * head_dim]. Query i sees keys 0 .. past + i; with a sliding
/// window w > 0 (Mistral) only the last w of them, past + i - w < j <= past + i.
at::Tensor groupedQueryAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 int64_t slidingWindow = 0);

/// Scores scale and soft-cap of an attention (Gemma: query_pre_attn_scalar^-1/2, cap 50).
struct AttentionShape
{
    double scale = 0.0;    ///< 0: 1 / sqrt(head_dim)
    double softcap = 0.0;  ///< > 0: scores = cap * tanh(scores / cap), before the mask
    int64_t slidingWindow = 0;
    /// Use torch's fused scaled_dot_product_attention where this LibTorch has it (2.5+) and the
    /// family allows it (no soft-cap); false forces the eager path the tests compare it with.
    bool allowFused = true;
};

/// `probabilities` (may be null) receives the attention pattern [batch, heads, tokens, keys] the
/// values were averaged with (query head h reads KV head h / (heads / kv_heads)).
at::Tensor groupedQueryAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 const AttentionShape &shape, at::Tensor *probabilities = nullptr);

/// x @ weight^T for x [..., in] and weight [out, in] (nn.Linear without bias). A single row goes
/// through a matrix-vector product: BLAS sgemm with one row is several times slower than sgemv,
/// and one row is every decode step.
at::Tensor project(const at::Tensor &x, const at::Tensor &weight);

/// A linear layer: nn.Linear (weight [out, in]) or, with `inputMajor`, GPT-2's Conv1D
/// (weight [in, out], computed as addmm(bias, x, W) as Hugging Face does). `bias` may be
/// undefined.
at::Tensor linearLayer(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                       bool inputMajor = false);

/// SwiGLU MLP: down(silu(gate(x)) * up(x)). Weights in nn.Linear layout [out, in].
at::Tensor swiGluMlp(const at::Tensor &x, const at::Tensor &gate, const at::Tensor &up,
                     const at::Tensor &down);

}  // namespace gyrus::gpu::detail
