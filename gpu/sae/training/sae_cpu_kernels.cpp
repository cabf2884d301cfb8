#include "gpu/sae/training/sae_cpu_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

namespace gyrus::gpu::detail {

namespace {

// Eight independent partial sums: the compiler maps them onto SIMD lanes (a single running sum
// would have to stay scalar to keep the order of float additions).
float dot(const float *x, const float *y, int64_t n)
{
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        for (int l = 0; l < 8; ++l) {
            lanes[l] += x[j + l] * y[j + l];
        }
    }
    float total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                  ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; j < n; ++j) {
        total += x[j] * y[j];
    }
    return total;
}

}  // namespace

at::Tensor gatheredRowDots(const at::Tensor &a, const at::Tensor &aRows, const at::Tensor &b,
                           const at::Tensor &bRows)
{
    const at::Tensor ac = a.contiguous();
    const at::Tensor bc = b.contiguous();
    const at::Tensor ai = aRows.contiguous();
    const at::Tensor bi = bRows.contiguous();
    const int64_t entries = ai.numel();
    const int64_t d = ac.size(1);
    at::Tensor out = at::empty({entries}, ac.options());
    const float *ap = ac.data_ptr<float>();
    const float *bp = bc.data_ptr<float>();
    const int64_t *aip = ai.data_ptr<int64_t>();
    const int64_t *bip = bi.data_ptr<int64_t>();
    float *op = out.data_ptr<float>();
    at::parallel_for(0, entries, 2048, [&](int64_t begin, int64_t end) {
        for (int64_t e = begin; e < end; ++e) {
            op[e] = dot(ap + aip[e] * d, bp + bip[e] * d, d);
        }
    });
    return out;
}

namespace {

// Runs `visit(row, accumulatorA, accumulatorB)` over fixed chunks of rows with per-chunk float
// accumulators of length n, then sums the chunks in order in float64: deterministic whatever the
// thread count.
template <typename Visit>
std::pair<at::Tensor, at::Tensor> chunkedColumnSums(int64_t rows, int64_t n, Visit &&visit)
{
    constexpr int64_t kChunk = 256;
    const int64_t chunks = (rows + kChunk - 1) / kChunk;
    std::vector<float> first(static_cast<size_t>(chunks * n), 0.0F);
    std::vector<float> second(static_cast<size_t>(chunks * n), 0.0F);
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
            for (int64_t r = c * kChunk; r < std::min(rows, (c + 1) * kChunk); ++r) {
                visit(r, first.data() + c * n, second.data() + c * n);
            }
        }
    });
    at::Tensor a = at::zeros({n}, at::TensorOptions().dtype(at::kDouble));
    at::Tensor b = at::zeros({n}, at::TensorOptions().dtype(at::kDouble));
    double *ap = a.data_ptr<double>();
    double *bp = b.data_ptr<double>();
    for (int64_t c = 0; c < chunks; ++c) {
        for (int64_t j = 0; j < n; ++j) {
            ap[j] += first[static_cast<size_t>(c * n + j)];
            bp[j] += second[static_cast<size_t>(c * n + j)];
        }
    }
    return {a, b};
}

}  // namespace

std::pair<at::Tensor, at::Tensor> columnSumsAndCounts(const at::Tensor &f)
{
    const at::Tensor fc = f.contiguous();
    const int64_t n = fc.size(1);
    const float *data = fc.data_ptr<float>();
    auto [sums, counts] = chunkedColumnSums(fc.size(0), n, [&](int64_t r, float *s, float *k) {
        const float *row = data + r * n;
        for (int64_t j = 0; j < n; ++j) {
            s[j] += row[j];
            k[j] += row[j] > 0.0F ? 1.0F : 0.0F;
        }
    });
    return {sums.to(at::kFloat), counts.to(at::kLong)};
}

std::pair<at::Tensor, at::Tensor> jumpReluForward(const at::Tensor &pre,
                                                  const at::Tensor &threshold, at::Tensor &f)
{
    const int64_t n = pre.size(1);
    const float *p = pre.data_ptr<float>();
    const float *theta = threshold.data_ptr<float>();
    float *out = f.data_ptr<float>();
    auto [sums, counts] = chunkedColumnSums(pre.size(0), n, [&](int64_t r, float *s, float *k) {
        const float *row = p + r * n;
        float *dst = out + r * n;
        for (int64_t j = 0; j < n; ++j) {
            const bool active = row[j] > theta[j];
            const float value = active ? row[j] : 0.0F;
            dst[j] = value;
            s[j] += value;
            k[j] += active ? 1.0F : 0.0F;
        }
    });
    return {sums.to(at::kFloat), counts.to(at::kLong)};
}

std::pair<at::Tensor, at::Tensor> jumpReluBackward(const at::Tensor &pre,
                                                   const at::Tensor &threshold, double halfWidth,
                                                   at::Tensor &dF)
{
    const int64_t n = pre.size(1);
    const float *p = pre.data_ptr<float>();
    const float *theta = threshold.data_ptr<float>();
    float *grad = dF.data_ptr<float>();
    const auto half = static_cast<float>(halfWidth);
    auto [fromF, inKernel] = chunkedColumnSums(pre.size(0), n, [&](int64_t r, float *s, float *k) {
        const float *row = p + r * n;
        float *g = grad + r * n;
        for (int64_t j = 0; j < n; ++j) {
            const float kernel = std::abs(row[j] - theta[j]) < half ? 1.0F : 0.0F;
            s[j] += g[j] * kernel;
            k[j] += kernel;
            g[j] = row[j] > theta[j] ? g[j] : 0.0F;
        }
    });
    return {fromF.to(at::kFloat), inKernel.to(at::kFloat)};
}

void maskInactive(at::Tensor &dF, const at::Tensor &f)
{
    float *g = dF.data_ptr<float>();
    const float *active = f.data_ptr<float>();
    at::parallel_for(0, dF.numel(), 65536, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            g[i] = active[i] > 0.0F ? g[i] : 0.0F;
        }
    });
}

void adamUpdate(at::Tensor &p, const at::Tensor &g, at::Tensor &m, at::Tensor &v,
                const AdamSettings &s)
{
    const at::Tensor gc = g.contiguous();
    float *pp = p.data_ptr<float>();
    float *mp = m.data_ptr<float>();
    float *vp = v.data_ptr<float>();
    const float *gp = gc.data_ptr<float>();
    const auto decay = static_cast<float>(1.0 - s.lr * s.weightDecay);
    const auto beta1 = static_cast<float>(s.beta1);
    const auto oneMinusBeta1 = static_cast<float>(1.0 - s.beta1);
    const auto beta2 = static_cast<float>(s.beta2);
    const auto oneMinusBeta2 = static_cast<float>(1.0 - s.beta2);
    const auto rootCorrection2 = static_cast<float>(std::sqrt(s.correction2));
    const auto epsilon = static_cast<float>(s.epsilon);
    const auto step = static_cast<float>(-s.lr / s.correction1);
    const bool decays = s.weightDecay > 0;
    const auto scale = static_cast<float>(s.gradientScale);
    const bool scales = s.gradientScale != 1.0;
    at::parallel_for(0, p.numel(), 16384, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const float grad = scales ? gp[i] * scale : gp[i];
            const float mi = mp[i] * beta1 + grad * oneMinusBeta1;
            const float vi = vp[i] * beta2 + grad * grad * oneMinusBeta2;
            mp[i] = mi;
            vp[i] = vi;
            const float param = decays ? pp[i] * decay : pp[i];
            pp[i] = param + step * (mi / (std::sqrt(vi) / rootCorrection2 + epsilon));
        }
    });
}

double sumOfSquares(const std::vector<at::Tensor> &tensors)
{
    double total = 0;
    for (const at::Tensor &t : tensors) {
        const at::Tensor flat = t.reshape({-1});
        total += at::dot(flat, flat).item<double>();
    }
    return total;
}

}  // namespace gyrus::gpu::detail
