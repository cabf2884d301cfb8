#include "gpu/detail/llama_ops.h"

#include "gpu/detail/torch_compat.h"

#include <cmath>
#include <limits>
#include <vector>

namespace gyrus::gpu::detail {

at::Tensor rmsNorm(const at::Tensor &x, const at::Tensor &weight, double eps)
{
    const at::Tensor x32 = x.to(at::kFloat);
    const at::Tensor inverseRms = at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true).add_(eps));
    if (x.scalar_type() == at::kFloat) {
        return (x32 * inverseRms).mul_(weight);  // one temporary fewer; the same products
    }
    return weight * (x32 * inverseRms).to(x.scalar_type());
}

RopeTables ropeTables(const at::Tensor &positions, int headDim, double theta, double linearScale)
{
    const auto f32 = at::TensorOptions().dtype(at::kFloat).device(positions.device());
    const at::Tensor exponents = at::arange(0, headDim, 2, f32) / static_cast<double>(headDim);
    const at::Tensor invFreq = 1.0 / at::pow(theta, exponents);
    at::Tensor t = positions.to(at::kFloat);
    if (linearScale != 1.0) {
        t = t / linearScale;
    }
    const at::Tensor freqs = at::outer(t, invFreq);
    const at::Tensor emb = at::cat({freqs, freqs}, -1);
    const at::Tensor halfSin = freqs.sin();
    return {emb.cos(), emb.sin(), at::cat({-halfSin, halfSin}, -1)};
}

at::Tensor applyRope(const at::Tensor &x, const RopeTables &tables)
{
    const int64_t tokens = x.size(1);
    const int64_t dim = x.size(3);
    const at::Tensor cos = tables.cos.to(x.scalar_type()).view({1, tokens, 1, dim});
    const at::Tensor sin = tables.sinSigned.to(x.scalar_type()).view({1, tokens, 1, dim});
    const int64_t half = dim / 2;
    // rotate_half(x) * sin == [x2, x1] * [-sin, sin]: three ops instead of five per call.
    const at::Tensor swapped = at::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return (x * cos).addcmul_(swapped, sin);
}

at::Tensor groupedQueryAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 int64_t slidingWindow)
{
    const int64_t batch = q.size(0);
    const int64_t tokens = q.size(1);
    const int64_t heads = q.size(2);
    const int64_t headDim = q.size(3);
    const int64_t kvHeads = k.size(1);
    const int64_t keys = k.size(2);
    const int64_t group = heads / kvHeads;
    const int64_t past = keys - tokens;
    TORCH_CHECK(heads % kvHeads == 0, "heads ", heads, " not a multiple of kv heads ", kvHeads);
    TORCH_CHECK(past >= 0, "fewer keys (", keys, ") than queries (", tokens, ")");
    // The window hides keys only once the history is longer than it.
    const bool windowed = slidingWindow > 0 && keys > slidingWindow;

#if GYRUS_TORCH_HAS_SDPA
    // Torch 2.x: the fused kernel (flash attention on the GPU). GQA needs K/V per query head here.
    const at::Tensor q4 = q.transpose(1, 2);
    const at::Tensor k4 = group == 1 ? k
                                     : k.unsqueeze(2)
                                               .expand({batch, kvHeads, group, keys, headDim})
                                               .reshape({batch, heads, keys, headDim});
    const at::Tensor v4 = group == 1 ? v
                                     : v.unsqueeze(2)
                                               .expand({batch, kvHeads, group, keys, headDim})
                                               .reshape({batch, heads, keys, headDim});
    at::Tensor out;
    if (!windowed && (tokens == 1 || past == 0)) {
        out = at::scaled_dot_product_attention(q4, k4, v4, {}, 0.0, /*is_causal=*/tokens > 1);
    } else {
        const at::Tensor ones = at::ones({tokens, keys}, q.options().dtype(at::kBool));
        at::Tensor allowed = ones.tril(past);
        if (windowed) {
            allowed.logical_and_(ones.triu(past - slidingWindow + 1));
        }
        out = at::scaled_dot_product_attention(q4, k4, v4, allowed, 0.0, false);
    }
    return out.transpose(1, 2).reshape({batch, tokens, heads * headDim});
#else
    // One batched matmul over all heads. Queries of a KV group are stacked along the token axis
    // ([B*kv, group*T, d]) so K and V are never repeated per head; the scale and the causal mask
    // ride along in the same GEMM (baddbmm).
    const at::Tensor qg = q.view({batch, tokens, kvHeads, group, headDim})
                                  .permute({0, 2, 3, 1, 4})
                                  .reshape({batch * kvHeads, group * tokens, headDim});
    const at::Tensor kT = k.reshape({batch * kvHeads, keys, headDim}).transpose(1, 2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
    at::Tensor scores;
    if (tokens > 1 || windowed) {
        const float inf = std::numeric_limits<float>::infinity();
        at::Tensor mask = at::full({tokens, keys}, -inf, q.options()).triu(past + 1);
        if (windowed) {
            mask.add_(at::full({tokens, keys}, -inf, q.options()).tril(past - slidingWindow));
        }
        scores = at::baddbmm(mask.repeat({group, 1}), qg, kT, 1.0, scale);
    } else {
        scores = at::bmm(qg, kT).mul_(scale);
    }
    const at::Tensor probs = scores.scalar_type() == at::kFloat
                                     ? at::softmax(scores, -1)
                                     : at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    return at::bmm(probs, v.reshape({batch * kvHeads, keys, headDim}))
            .view({batch, kvHeads, group, tokens, headDim})
            .permute({0, 3, 1, 2, 4})
            .reshape({batch, tokens, heads * headDim});
#endif
}

at::Tensor project(const at::Tensor &x, const at::Tensor &weight)
{
    if (x.numel() != x.size(-1)) {
        return at::linear(x, weight);
    }
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return at::mv(weight, x.reshape({-1})).view(shape);
}

at::Tensor swiGluMlp(const at::Tensor &x, const at::Tensor &gate, const at::Tensor &up,
                     const at::Tensor &down)
{
    at::Tensor hidden = project(x, gate);
    at::silu_(hidden);
    hidden.mul_(project(x, up));
    return project(hidden, down);
}

}  // namespace gyrus::gpu::detail
