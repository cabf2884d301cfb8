#include "gpu/model/transformer_ops.h"

#include "gpu/model/torch_compat.h"

#include <ATen/core/grad_mode.h>

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

at::Tensor offsetRmsNorm(const at::Tensor &x, const at::Tensor &weight, double eps)
{
    const at::Tensor x32 = x.to(at::kFloat);
    at::Tensor y = x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true).add_(eps));
    y.mul_(weight.to(at::kFloat) + 1.0);
    return y.to(x.scalar_type());
}

at::Tensor normalize(const at::Tensor &x, NormKind kind, const at::Tensor &weight,
                     const at::Tensor &bias, double eps)
{
    switch (kind) {
        case NormKind::Rms:
            return rmsNorm(x, weight, eps);
        case NormKind::RmsOffset:
            return offsetRmsNorm(x, weight, eps);
        case NormKind::Layer:
            break;
    }
    return at::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

at::Tensor normalizeWithoutGain(const at::Tensor &x, NormKind kind, double eps)
{
    if (kind == NormKind::Layer) {
        return at::layer_norm(x, {x.size(-1)}, {}, {}, eps);
    }
    const at::Tensor x32 = x.to(at::kFloat);
    return (x32 * at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true).add_(eps))).to(x.scalar_type());
}

at::Tensor applyNormGain(const at::Tensor &normalized, NormKind kind, const at::Tensor &weight,
                         const at::Tensor &bias)
{
    switch (kind) {
        case NormKind::Rms:
            return weight * normalized;
        case NormKind::RmsOffset:
            return (normalized.to(at::kFloat) * (weight.to(at::kFloat) + 1.0))
                    .to(normalized.scalar_type());
        case NormKind::Layer:
            break;
    }
    return bias.defined() ? at::addcmul(bias, normalized, weight) : normalized * weight;
}

at::Tensor activate(at::Tensor x, Activation activation)
{
    switch (activation) {
        case Activation::Silu:
            return at::GradMode::is_enabled() ? at::silu(x) : at::silu_(x);
        case Activation::GeluTanh:
            return at::gelu(x, "tanh");
        case Activation::GeluErf:
            return at::gelu(x);
        case Activation::GeluNew:
            break;
    }
    // Hugging Face NewGELUActivation, op for op: torch's tanh GELU kernel rounds differently.
    const double c = std::sqrt(2.0 / M_PI);
    const at::Tensor inner = (x + 0.044715 * at::pow(x, 3.0)) * c;
    return 0.5 * x * (1.0 + at::tanh(inner));
}

at::Tensor ropeInverseFrequencies(int rotaryDim, double theta,
                                  const std::optional<RopeScaling> &scaling)
{
    const auto f32 = at::TensorOptions().dtype(at::kFloat);
    const at::Tensor exponents = at::arange(0, rotaryDim, 2, f32) / static_cast<double>(rotaryDim);
    at::Tensor inv = 1.0 / at::pow(theta, exponents);
    if (!scaling) {
        return inv;
    }
    const double factor = scaling->factor;
    if (scaling->type == QLatin1String("linear")) {
        return inv / factor;
    }
    // llama3: long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
    const double original = scaling->originalMaxPositionEmbeddings;
    const double low = scaling->lowFreqFactor;
    const double high = scaling->highFreqFactor;
    const double lowWavelength = original / low;
    const double highWavelength = original / high;
    const at::Tensor wavelength = 2.0 * M_PI / inv;
    const at::Tensor scaled = at::where(wavelength > lowWavelength, inv / factor, inv);
    const at::Tensor smooth = (original / wavelength - low) / (high - low);
    const at::Tensor smoothed = (1.0 - smooth) * scaled / factor + smooth * scaled;
    const at::Tensor medium = (wavelength < highWavelength)
                                      .logical_not()
                                      .logical_and((wavelength > lowWavelength).logical_not());
    return at::where(medium, smoothed, scaled);
}

RopeTables ropeTables(const at::Tensor &positions, const at::Tensor &inverseFrequencies)
{
    const at::Tensor freqs = at::outer(positions.to(at::kFloat),
                                       inverseFrequencies.to(positions.device(), at::kFloat));
    const at::Tensor emb = at::cat({freqs, freqs}, -1);
    const at::Tensor halfSin = freqs.sin();
    return {emb.cos(), emb.sin(), at::cat({-halfSin, halfSin}, -1)};
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
    const int64_t dim = tables.cos.size(-1);
    if (dim < x.size(3)) {
        // Partial rotary: the dims past the table pass through unchanged.
        return at::cat(
                {applyRope(x.narrow(-1, 0, dim), tables), x.narrow(-1, dim, x.size(3) - dim)}, -1);
    }
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
    AttentionShape shape;
    shape.slidingWindow = slidingWindow;
    return groupedQueryAttention(q, k, v, shape);
}

at::Tensor groupedQueryAttention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 const AttentionShape &shape, at::Tensor *probabilities)
{
    const int64_t slidingWindow = shape.slidingWindow;
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

    const double defaultScale = 1.0 / std::sqrt(static_cast<double>(headDim));
    const double scale = shape.scale > 0.0 ? shape.scale : defaultScale;
    // LibTorch 2.5+: the fused kernel (flash / memory-efficient attention on CUDA, a flash
    // kernel on the CPU), which has no soft-cap: Gemma-2's capped scores stay eager.
    if (compat::kHasFusedAttention && shape.allowFused && shape.softcap <= 0.0 && !probabilities) {
        const at::Tensor q4 = q.transpose(1, 2);
        at::Tensor out;
        if (!windowed && (tokens == 1 || past == 0)) {
            out = compat::fusedAttention(q4, k, v, std::nullopt, /*causal=*/tokens > 1, scale);
        } else {
            const at::Tensor ones = at::ones({tokens, keys}, q.options().dtype(at::kBool));
            at::Tensor allowed = ones.tril(past);
            if (windowed) {
                allowed.logical_and_(ones.triu(past - slidingWindow + 1));
            }
            out = compat::fusedAttention(q4, k, v, allowed, /*causal=*/false, scale);
        }
        return out.transpose(1, 2).reshape({batch, tokens, heads * headDim});
    }
    // One batched matmul over all heads. Queries of a KV group are stacked along the token axis
    // ([B*kv, group*T, d]) so K and V are never repeated per head; the scale and the causal mask
    // ride along in the same GEMM (baddbmm).
    const at::Tensor qg = q.view({batch, tokens, kvHeads, group, headDim})
                                  .permute({0, 2, 3, 1, 4})
                                  .reshape({batch * kvHeads, group * tokens, headDim});
    const at::Tensor kT = k.reshape({batch * kvHeads, keys, headDim}).transpose(1, 2);
    at::Tensor scores;
    if (shape.softcap > 0.0) {
        // Gemma-2: cap the scaled scores, then mask.
        const double cap = shape.softcap;
        // Out of place while autograd records: tanh's backward needs its own output.
        scores = at::GradMode::is_enabled()
                         ? at::tanh(at::bmm(qg, kT) * (scale / cap)) * cap
                         : at::bmm(qg, kT).mul_(scale).div_(cap).tanh_().mul_(cap);
        if (tokens > 1 || windowed) {
            const float inf = std::numeric_limits<float>::infinity();
            at::Tensor mask = at::full({tokens, keys}, -inf, q.options()).triu(past + 1);
            if (windowed) {
                mask.add_(at::full({tokens, keys}, -inf, q.options()).tril(past - slidingWindow));
            }
            scores = scores + mask.repeat({group, 1});
        }
    } else if (tokens > 1 || windowed) {
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
    if (probabilities) {
        *probabilities = probs.view({batch, kvHeads, group, tokens, keys})
                                 .reshape({batch, heads, tokens, keys});
    }
    return at::bmm(probs, v.reshape({batch * kvHeads, keys, headDim}))
            .view({batch, kvHeads, group, tokens, headDim})
            .permute({0, 3, 1, 2, 4})
            .reshape({batch, tokens, heads * headDim});
}

at::Tensor project(const at::Tensor &x, const at::Tensor &weight)
{
    // Mixed dtypes come from autocast (bf16 activations, float32 weights): its CPU op list has
    // linear but not mv, so only linear casts them.
    if (x.numel() != x.size(-1) || x.scalar_type() != weight.scalar_type()) {
        return at::linear(x, weight);
    }
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return at::mv(weight, x.reshape({-1})).view(shape);
}

at::Tensor linearLayer(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                       bool inputMajor)
{
    // The matrix-vector kernels only for one row of the weights' dtype (project() says why).
    const bool oneRow = x.numel() == x.size(-1) && x.scalar_type() == weight.scalar_type();
    std::vector<int64_t> shape = x.sizes().vec();
    if (inputMajor) {
        shape.back() = weight.size(1);
        if (oneRow) {
            const at::Tensor row = x.reshape({-1});
            const at::Tensor wt = weight.t();
            return (bias.defined() ? at::addmv(bias, wt, row) : at::mv(wt, row)).view(shape);
        }
        const at::Tensor x2 = x.reshape({-1, x.size(-1)});
        return (bias.defined() ? at::addmm(bias, x2, weight) : at::mm(x2, weight)).view(shape);
    }
    if (!bias.defined()) {
        return project(x, weight);
    }
    if (oneRow) {
        shape.back() = weight.size(0);
        return at::addmv(bias, weight, x.reshape({-1})).view(shape);
    }
    return at::linear(x, weight, bias);
}

at::Tensor swiGluMlp(const at::Tensor &x, const at::Tensor &gate, const at::Tensor &up,
                     const at::Tensor &down)
{
    if (at::GradMode::is_enabled()) {
        // Autograd needs the inputs the in-place versions overwrite.
        return project(at::silu(project(x, gate)) * project(x, up), down);
    }
    at::Tensor hidden = project(x, gate);
    at::silu_(hidden);
    hidden.mul_(project(x, up));
    return project(hidden, down);
}

}  // namespace gyrus::gpu::detail
