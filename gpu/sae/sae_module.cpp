#include "gpu/sae/sae_module.h"

#include "gpu/model/non_finite.h"
#include "gpu/model/safetensors.h"
#include "gpu/sae/bf16_dots.h"
#include "gpu/sae/sae_folding.h"

#include <QVector>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu::detail {

namespace {

QString shapeOf(const at::Tensor &t)
{
    QVector<qint64> shape;
    for (const int64_t size : t.sizes()) {
        shape.append(size);
    }
    return shapeToString(shape);
}

// Finiteness checked 4M elements at a time: isfinite makes a bool copy and an abs() copy of what
// it checks (1.6 GB for the W_enc of a 262k x 2304 bf16 SAE, whose 2,304 rows were one block
// when this went by rows).
bool allFinite(const at::Tensor &t)
{
    constexpr int64_t kElements = int64_t(1) << 22;
    if (t.dim() < 2 || t.numel() <= kElements) {
        return at::isfinite(t).all().item<bool>();
    }
    // Blocks along the longer of the first two dimensions.
    const int64_t dim = t.size(0) >= t.size(1) ? 0 : 1;
    const int64_t step = std::max<int64_t>(1, kElements / (t.numel() / t.size(dim)));
    for (int64_t begin = 0; begin < t.size(dim); begin += step) {
        const at::Tensor block = t.narrow(dim, begin, std::min(step, t.size(dim) - begin));
        if (!at::isfinite(block).all().item<bool>()) {
            return false;
        }
    }
    return true;
}

// Names the first problem with one tensor, or returns an empty string. `allowBf16`: the tensor
// may also be bfloat16 (the two weight matrices).
QString checkTensor(const at::Tensor &t, const char *name, std::vector<int64_t> expected,
                    bool allowBf16 = false)
{
    if (!t.defined()) {
        return QStringLiteral("tensor '%1' is missing").arg(QLatin1String(name));
    }
    if (t.sizes().vec() != expected) {
        QVector<qint64> want(expected.begin(), expected.end());
        return QStringLiteral("tensor '%1' has shape %2, expected %3")
                .arg(QLatin1String(name), shapeOf(t), shapeToString(want));
    }
    if (t.scalar_type() != at::kFloat && !(allowBf16 && t.scalar_type() == at::kBFloat16)) {
        return QStringLiteral("tensor '%1' is not float32%2")
                .arg(QLatin1String(name), allowBf16 ? QStringLiteral(" or bfloat16") : QString());
    }
    if (!allFinite(t)) {
        return QStringLiteral("tensor '%1' holds NaN or infinite values: %2")
                .arg(QLatin1String(name), describeNonFinite(t));
    }
    return QString();
}

bool usesThreshold(SaeArchitecture architecture)
{
    return architecture == SaeArchitecture::JumpRelu || architecture == SaeArchitecture::BatchTopK;
}

// a·w in float32 for float32 `a` and float32 or bf16 `w`: a bf16 matrix is multiplied in bf16
// (float32 accumulation) with `a` rounded to bf16, instead of a float32 copy of the matrix.
at::Tensor timesWeights(const at::Tensor &a, const at::Tensor &w)
{
    if (a.scalar_type() == w.scalar_type()) {
        return at::matmul(a, w);
    }
    return at::matmul(a.to(w.scalar_type()), w).to(at::kFloat);
}

}  // namespace

// Float32 sums of bf16 products as LibTorch's bf16 matmul makes them, but not rounded to bf16
// before the bias, in one order whatever the blocks or threads (and ~1.1x as fast on one core).
at::Tensor bf16KernelPreActivations(const at::Tensor &input, const at::Tensor &wEnc,
                                    const at::Tensor &bEnc)
{
    if (fastestBf16DotKernel() != Bf16DotKernel::Avx512Bf16 || !input.device().is_cpu() ||
        !wEnc.device().is_cpu() || wEnc.scalar_type() != at::kBFloat16 || input.dim() != 2 ||
        !wEnc.t().is_contiguous() || input.requires_grad()) {
        return {};
    }
    const int64_t rows = input.size(0);
    const int64_t d = wEnc.size(0);
    const int64_t n = wEnc.size(1);
    const at::Tensor x = input.to(at::kBFloat16).contiguous();
    const at::Tensor bias = bEnc.to(at::kFloat).contiguous();
    at::Tensor out = at::empty({rows, n}, input.options().dtype(at::kFloat));
    const auto *xp = reinterpret_cast<const uint16_t *>(x.data_ptr<at::BFloat16>());
    const auto *wp = reinterpret_cast<const uint16_t *>(wEnc.data_ptr<at::BFloat16>());
    const float *bp = bias.data_ptr<float>();
    float *op = out.data_ptr<float>();
    // Threads take ranges of latents; each output's sum is in the kernel's fixed order, so the
    // result is the same whatever the number of threads.
    at::parallel_for(0, n, 1536, [&](int64_t begin, int64_t end) {
        bf16RowDots(xp, rows, wp, begin, end, d, bp, op, n, Bf16DotKernel::Avx512Bf16);
    });
    return out;
}

SaeModule::SaeModule(SaeConfig config, SaeWeights weights)
    : m_config(std::move(config))
    , m_weights(std::move(weights))
{}

QString SaeModule::validate() const
{
    const int64_t d = m_config.dIn;
    const int64_t n = m_config.dSae;
    if (d <= 0 || n <= 0) {
        return QStringLiteral("d_in and d_sae must be positive (got %1 and %2)").arg(d).arg(n);
    }
    if (m_config.architecture == SaeArchitecture::TopK && (m_config.k <= 0 || m_config.k > n)) {
        return QStringLiteral("k = %1 is outside 1..d_sae (%2)").arg(m_config.k).arg(n);
    }
    for (const QString &problem : {checkTensor(m_weights.wEnc, "W_enc", {d, n}, true),
                                   checkTensor(m_weights.bEnc, "b_enc", {n}),
                                   checkTensor(m_weights.wDec, "W_dec", {n, d}, true),
                                   checkTensor(m_weights.bDec, "b_dec", {d})}) {
        if (!problem.isEmpty()) {
            return problem;
        }
    }
    if (m_weights.wEnc.scalar_type() != m_weights.wDec.scalar_type()) {
        return QStringLiteral("W_enc and W_dec must have the same dtype");
    }
    if (usesThreshold(m_config.architecture)) {
        const QString problem = checkTensor(m_weights.threshold, "threshold", {n});
        if (!problem.isEmpty()) {
            return problem;
        }
    }
    return QString();
}

bool SaeModule::transformsInput() const
{
    return m_config.centreInput || m_config.inputNormalisation != SaeInputNormalisation::None;
}

SaeInputFrame SaeModule::inputFrame(const at::Tensor &x) const
{
    SaeInputFrame frame;
    if (!transformsInput()) {
        return frame;
    }
    at::Tensor centred = x;
    if (m_config.centreInput || m_config.inputNormalisation == SaeInputNormalisation::LayerNorm) {
        frame.shift = x.mean({-1}, /*keepdim=*/true);
        centred = x - frame.shift;
    }
    switch (m_config.inputNormalisation) {
        case SaeInputNormalisation::None:
            break;
        case SaeInputNormalisation::ConstantNormRescale: {
            // SAELens: x·√d/‖x‖ in, ÷ the same factor out (no epsilon: a zero row is a NaN
            // there too, so it is kept at zero here rather than made up).
            const at::Tensor norm = centred.norm(2, {-1}, /*keepdim=*/true);
            const double root = std::sqrt(static_cast<double>(m_config.dIn));
            frame.outScale = norm / root;
            frame.inScale = at::where(norm > 0, root / norm, at::zeros_like(norm));
            break;
        }
        case SaeInputNormalisation::LayerNorm: {
            // torch's x.std() is the unbiased (n − 1) estimate; the epsilon is added to the
            // divisor on the way in only, as SAELens does.
            const at::Tensor std = centred.std({-1}, /*unbiased=*/true, /*keepdim=*/true);
            frame.inScale = (std + 1e-5).reciprocal();
            frame.outScale = std;
            break;
        }
    }
    return frame;
}

at::Tensor SaeModule::transformed(const at::Tensor &x, const SaeInputFrame &frame) const
{
    at::Tensor y = frame.shift.defined() ? x - frame.shift : x;
    return frame.inScale.defined() ? y * frame.inScale : y;
}

at::Tensor SaeModule::encoderInput(const at::Tensor &x) const
{
    const at::Tensor sae = transformsInput() ? transformed(x, inputFrame(x)) : x;
    return m_config.applyBDecToInput ? sae - m_weights.bDec : sae;
}

at::Tensor SaeModule::preActivations(const at::Tensor &x) const
{
    const at::Tensor input = encoderInput(x);
    if (weightDtype() == at::kFloat) {
        return at::addmm(m_weights.bEnc, input, m_weights.wEnc);
    }
    if (at::Tensor pre = bf16KernelPreActivations(input, m_weights.wEnc, m_weights.bEnc);
        pre.defined()) {
        return pre;
    }
    return timesWeights(input, m_weights.wEnc) + m_weights.bEnc;
}

at::Tensor SaeModule::activate(const at::Tensor &pre) const
{
    switch (m_config.architecture) {
        case SaeArchitecture::Relu:
            return at::relu(pre);
        case SaeArchitecture::TopK: {
            const auto [values, indices] = at::topk(at::relu(pre), m_config.k, 1, true, false);
            return at::zeros_like(pre).scatter_(1, indices, values);
        }
        case SaeArchitecture::BatchTopK:
        case SaeArchitecture::JumpRelu:
            return pre * at::gt(pre, m_weights.threshold).to(pre.scalar_type());
    }
    return at::relu(pre);
}

at::Tensor SaeModule::encode(const at::Tensor &x) const
{
    return activate(preActivations(x));
}

int64_t SaeModule::encodeBlockRows(int64_t budgetBytes) const
{
    // Per row: float32 pre-activations, mask and activations, a bool comparison, a bf16 product
    // (4 + 4 + 4 + 1 + 2 bytes per feature, rounded up to 16), and the input in two dtypes.
    const int64_t perRow = m_config.dSae * 16 + m_config.dIn * 8;
    return std::max<int64_t>(1, budgetBytes / std::max<int64_t>(1, perRow));
}

void SparseActivations::appendDenseRow(const float *row, int64_t n)
{
    for (int64_t j = 0; j < n; ++j) {
        if (row[j] != 0.0f) {
            features.push_back(int32_t(j));
            values.push_back(row[j]);
        }
    }
    rowStart.push_back(int64_t(features.size()));
}

SparseActivations SaeModule::encodeSparse(const at::Tensor &x, int64_t budgetBytes,
                                          const std::function<void(int64_t)> &onBlock) const
{
    c10::InferenceMode guard;
    if (m_screen && x.device().is_cpu() && x.dim() == 2) {
        return encodeSparseScreened(x, budgetBytes, onBlock);
    }
    SparseActivations codes;
    const int64_t rows = x.size(0);
    const int64_t n = m_config.dSae;
    const int64_t block = encodeBlockRows(budgetBytes);
    codes.rowStart.reserve(size_t(rows) + 1);
    for (int64_t begin = 0; begin < rows; begin += block) {
        const int64_t count = std::min(block, rows - begin);
        if (onBlock) {
            onBlock(count);
        }
        const at::Tensor f = encode(x.narrow(0, begin, count)).to(at::kCPU).contiguous();
        const float *values = f.data_ptr<float>();
        for (int64_t r = 0; r < count; ++r) {
            codes.appendDenseRow(values + r * n, n);
        }
    }
    return codes;
}

at::Tensor SaeModule::encodeFeatures(const at::Tensor &x,
                                     const std::vector<int64_t> &features) const
{
    const at::Tensor ids =
            at::tensor(features, at::TensorOptions().dtype(at::kLong)).to(m_weights.wEnc.device());
    if (m_config.architecture == SaeArchitecture::TopK) {
        return encode(x).index_select(1, ids);
    }
    // The listed rows of an encoder held as [d_sae, d_in] rows keep that layout, so they go
    // through the same kernel as encode() and give the same values bit for bit.
    const at::Tensor &wEnc = m_weights.wEnc;
    const at::Tensor columns = wEnc.t().is_contiguous() ? wEnc.t().index_select(0, ids).t()
                                                        : wEnc.index_select(1, ids);
    const at::Tensor input = encoderInput(x);
    const at::Tensor bias = m_weights.bEnc.index_select(0, ids);
    at::Tensor pre = bf16KernelPreActivations(input, columns, bias);
    if (!pre.defined()) {
        pre = timesWeights(input, columns) + bias;
    }
    if (m_config.architecture == SaeArchitecture::Relu) {
        return at::relu(pre);
    }
    return pre * at::gt(pre, m_weights.threshold.index_select(0, ids)).to(pre.scalar_type());
}

at::Tensor SaeModule::projectOntoDecoder(const at::Tensor &g) const
{
    return timesWeights(g, m_weights.wDec.t());
}

std::pair<at::Tensor, at::Tensor> SaeModule::encodeTopK(const at::Tensor &x, int64_t k) const
{
    const at::Tensor f = encode(x);
    auto [values, indices] = at::topk(f, std::min<int64_t>(k, m_config.dSae), 1, true, true);
    return {values, indices};
}

at::Tensor SaeModule::decode(const at::Tensor &f) const
{
    if (weightDtype() == at::kFloat) {
        return at::addmm(m_weights.bDec, f, m_weights.wDec);
    }
    return timesWeights(f, m_weights.wDec) + m_weights.bDec;
}

at::Tensor SaeModule::decodeFor(const at::Tensor &f, const at::Tensor &x) const
{
    at::Tensor y = decode(f);
    if (!transformsInput()) {
        return y;
    }
    const SaeInputFrame frame = inputFrame(x);
    if (frame.outScale.defined()) {
        y = y * frame.outScale;
    }
    return frame.shift.defined() ? y + frame.shift : y;
}

at::Tensor SaeModule::reconstruct(const at::Tensor &x) const
{
    return decodeFor(encode(x), x);
}

SaeModule SaeModule::to(const at::Device &device) const
{
    SaeWeights w;
    w.wEnc = m_weights.wEnc.to(device, /*non_blocking=*/false, /*copy=*/true);
    w.bEnc = m_weights.bEnc.to(device, false, true);
    w.wDec = m_weights.wDec.to(device, false, true);
    w.bDec = m_weights.bDec.to(device, false, true);
    if (m_weights.threshold.defined()) {
        w.threshold = m_weights.threshold.to(device, false, true);
    }
    return SaeModule(m_config, std::move(w));
}

SaeModule SaeModule::clone() const
{
    return to(m_weights.wEnc.device());
}

SaeModule SaeModule::foldInputScale(double scale) const
{
    SaeModule folded = clone();
    foldInputScaleInPlace(folded.m_weights, scale);
    return folded;
}

SaeModule SaeModule::foldDecoderNorms() const
{
    SaeModule folded = clone();
    foldDecoderNormsInPlace(folded.m_weights);
    return folded;
}

void foldInputScaleInPlace(SaeWeights &w, double scale)
{
    w.wEnc.mul_(scale);
    w.wDec.div_(scale);
    w.bDec.div_(scale);
}

void foldDecoderNormsInPlace(SaeWeights &w)
{
    // Row norms in float32 whatever W_dec's dtype, 4096 rows at a time (a float32 copy of a
    // bf16 decoder is never made whole).
    const int64_t rows = w.wDec.size(0);
    at::Tensor norms = at::empty({rows}, w.bEnc.options());
    constexpr int64_t kRows = 4096;
    for (int64_t begin = 0; begin < rows; begin += kRows) {
        const int64_t count = std::min(kRows, rows - begin);
        norms.narrow(0, begin, count)
                .copy_(at::linalg_vector_norm(w.wDec.narrow(0, begin, count), 2, {1}, false,
                                              at::kFloat));
    }
    // A dead latent can have a zero decoder row; leave it as it is rather than divide by zero.
    norms = at::where(norms > 0, norms, at::ones_like(norms));
    // By blocks of rows too: a bf16 matrix times float32 norms goes through a float32 temporary
    // of what it updates.
    const auto byRows = [](at::Tensor &m, const std::function<void(at::Tensor, int64_t)> &update) {
        const int64_t step = std::max<int64_t>(1, kRows * 1024 / std::max<int64_t>(1, m.size(1)));
        for (int64_t begin = 0; begin < m.size(0); begin += step) {
            update(m.narrow(0, begin, std::min(step, m.size(0) - begin)), begin);
        }
    };
    byRows(w.wEnc, [&](at::Tensor block, int64_t) { block.mul_(norms.unsqueeze(0)); });
    byRows(w.wDec, [&](at::Tensor block, int64_t begin) {
        block.div_(norms.narrow(0, begin, block.size(0)).unsqueeze(1));
    });
    w.bEnc.mul_(norms);
    if (w.threshold.defined()) {
        w.threshold.mul_(norms);
    }
}

}  // namespace gyrus::gpu::detail
