#pragma once
// Private to gyrus_gpu (and tests/gpu). The tensor maths of one Llama block, as free functions on
// plain at::Tensor weights so that tests can check each against its textbook formula.
//
// Layouts: activations are [batch, tokens, d_model]; positions are int64 [tokens] (absolute).

#include <ATen/ATen.h>

namespace gyrus::gpu::detail {

/// RMSNorm as Hugging Face Llama computes it: in fp32, then cast back before the weight.
at::Tensor rmsNorm(const at::Tensor &x, const at::Tensor &weight, double eps);

/// cos and sin tables [tokens, head_dim] (fp32) for the given positions: the rotary frequencies
/// 1/theta^(2i/d) of positions / linearScale, duplicated over both halves (HF `cat(freqs, freqs)`).
struct RopeTables
{
    at::Tensor cos;
    at::Tensor sin;
    at::Tensor sinSigned;  ///< [-sin, sin] over the two halves: rotate_half's sign folded in
};

RopeTables ropeTables(const at::Tensor &positions, int headDim, double theta, double linearScale);

/// Rotates x [batch, tokens, heads, head_dim] with HF's `rotate_half` convention:
/// x·cos + rotate_half(x)·sin, where rotate_half([a, b]) = [-b, a]. Tables are cast to x's dtype.
at::Tensor applyRope(const at::Tensor &x, const RopeTables &tables);

/// Causal grouped-query attention over a key/value history.
/// q: [batch, tokens, heads, head_dim] (rotated); k, v: [batch, kv_heads, keys, head_dim] where the
/// last `tokens` keys belong to the queries (keys before them are the cached past).
/// Returns [batch, tokens, heads * head_dim]. Query i sees keys 0 .. past + i; with a sliding
/// window w > 0 (Mistral) only the last w of them, past + i - w < j <= past + i.
at::Tensor groupedQueryAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 int64_t slidingWindow = 0);

/// x @ weight^T for x [..., in] and weight [out, in] (nn.Linear without bias). A single row goes
/// through a matrix-vector product: BLAS sgemm with one row is several times slower than sgemv,
/// and one row is every decode step.
at::Tensor project(const at::Tensor &x, const at::Tensor &weight);

/// SwiGLU MLP: down(silu(gate(x)) * up(x)). Weights in nn.Linear layout [out, in].
at::Tensor swiGluMlp(const at::Tensor &x, const at::Tensor &gate, const at::Tensor &up,
                     const at::Tensor &down);

}  // namespace gyrus::gpu::detail
