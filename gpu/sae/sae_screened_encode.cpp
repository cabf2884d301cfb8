// SaeModule's encode screen: an int8 copy of a wide bf16 encoder, and encodeSparse through it
// (int8_screen.h): every latent screened in int8 with a proven bound, the few that may fire
// computed exactly by the bf16 kernel, so the codes equal the plain encodeSparse's bit for bit.

#include "gpu/sae/bf16_dots.h"
#include "gpu/sae/int8_screen.h"
#include "gpu/sae/sae_module.h"

#include <QByteArray>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <atomic>

namespace gyrus::gpu::detail {

namespace {

const uint16_t *encoderRows(const at::Tensor &wEnc)
{
    return reinterpret_cast<const uint16_t *>(wEnc.data_ptr<at::BFloat16>());
}

}  // namespace

int64_t SaeModule::screenMinLatents()
{
    const QByteArray override = qgetenv("GYRUS_SAE_SCREEN_ABOVE");
    bool ok = false;
    const qint64 latents = override.toLongLong(&ok);
    return ok && latents >= 0 ? latents : 16384;
}

bool SaeModule::screenApplies(const SaeConfig &config, bool cpu, bool bf16, int64_t minLatents)
{
    return cpu && bf16 && config.dSae >= minLatents && config.dIn > 0 &&
           config.dIn <= kMaxScreenDim && fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16 &&
           fastestInt8DotKernel() != Int8DotKernel::Portable;
}

int64_t SaeModule::screenBytes(int64_t dSae, int64_t dIn)
{
    return Int8Encoder::bytesFor(dSae, dIn);
}

bool SaeModule::buildEncodeScreen(int64_t minLatents)
{
    m_screen.reset();
    const at::Tensor &w = m_weights.wEnc;
    const int64_t d = m_config.dIn;
    const int64_t n = m_config.dSae;
    // The layout the exact kernel reads (loadSae's for a bf16 encoder), so that the screen's
    // exact pass is bf16KernelPreActivations' sums.
    if (!w.defined() || w.dim() != 2 || w.size(0) != d || w.size(1) != n ||
        !w.t().is_contiguous() ||
        !screenApplies(m_config, w.device().is_cpu(), w.scalar_type() == at::kBFloat16,
                       minLatents) ||
        (m_config.architecture != SaeArchitecture::Relu &&
         m_config.architecture != SaeArchitecture::TopK && !m_weights.threshold.defined())) {
        return false;
    }
    c10::InferenceMode guard;
    // The centre: b_dec where the encoder's input does not already have it subtracted (a
    // trained SAE's b_dec sits near its inputs' mean, so x − b_dec leaves the int8 range to what
    // varies between tokens); none where it is zero or already subtracted.
    const at::Tensor bDec =
            m_weights.bDec.defined() ? m_weights.bDec.to(at::kBFloat16).contiguous() : at::Tensor();
    const bool centred = !m_config.applyBDecToInput && bDec.defined() && bDec.numel() == d &&
                         at::any(bDec != 0).item<bool>();
    auto encoder = std::make_shared<Int8Encoder>(
            allocateInt8Encoder(n, d, centred ? encoderRows(bDec) : nullptr));
    const at::Tensor bias = m_weights.bEnc.to(at::kFloat).contiguous();
    const uint16_t *rows = encoderRows(w);
    std::atomic<bool> ok{true};
    at::parallel_for(0, n, 1024, [&](int64_t begin, int64_t end) {
        if (!quantiseEncoderRows(rows, begin, end, *encoder) ||
            !centreEncoderRows(rows, bias.data_ptr<float>(), begin, end, *encoder,
                               Bf16DotKernel::Avx512Bf16)) {
            ok = false;
        }
    });
    if (!ok) {
        return false;  // weights too large for the bound's arithmetic: the plain encode
    }
    m_screen = std::move(encoder);
    return true;
}

SparseActivations SaeModule::encodeSparseScreened(const at::Tensor &x, int64_t budgetBytes,
                                                  const std::function<void(int64_t)> &onBlock) const
{
    const Int8Encoder &screen = *m_screen;
    SparseActivations codes;
    codes.screenCandidates = 0;
    const int64_t rows = x.size(0);
    const int64_t n = m_config.dSae;
    const int64_t d = m_config.dIn;
    const uint16_t *w = encoderRows(m_weights.wEnc);
    const at::Tensor bias = m_weights.bEnc.to(at::kFloat).contiguous();
    const float *b = bias.data_ptr<float>();
    const bool topK = m_config.architecture == SaeArchitecture::TopK;
    SparseRule rule;
    at::Tensor threshold;
    if (topK) {
        rule.k = m_config.k;
    } else if (m_config.architecture != SaeArchitecture::Relu) {
        threshold = m_weights.threshold.to(at::kFloat).contiguous();
        rule.threshold = threshold.data_ptr<float>();
    }
    // Past n/8 candidates a row is cheaper in the plain encode's 8-row tiles, which read the
    // encoder once for all such rows, than one latent at a time from memory.
    const int64_t maxCandidates = std::max<int64_t>(1, n / 8);
    // The bounds take 4 (8 for TopK) of the 16 bytes per feature and row that encodeBlockRows
    // allows a block.
    const int64_t block = encodeBlockRows(budgetBytes);
    const Int8DotKernel kernel = screenInt8DotKernel();
    std::vector<float> upper;
    std::vector<float> lower;
    codes.rowStart.reserve(size_t(rows) + 1);
    for (int64_t begin = 0; begin < rows; begin += block) {
        const int64_t count = std::min(block, rows - begin);
        if (onBlock) {
            onBlock(count);
        }
        // The input exactly as the plain encode's kernel reads it.
        const at::Tensor input =
                encoderInput(x.narrow(0, begin, count)).to(at::kBFloat16).contiguous();
        const uint16_t *xb = encoderRows(input);
        const Int8Rows quantised = quantiseRows(xb, count, screen);
        upper.resize(size_t(count * n));
        lower.resize(topK ? size_t(count * n) : 0);
        at::parallel_for(0, n, 1536, [&](int64_t first, int64_t last) {
            screenBounds(quantised, screen, first, last, upper.data(),
                         topK ? lower.data() : nullptr, n, kernel);
        });
        auto features = std::vector<std::vector<int32_t>>(size_t(count));
        auto values = std::vector<std::vector<float>>(size_t(count));
        auto exact = std::vector<char>(size_t(count), 0);
        auto candidates = std::vector<int64_t>(size_t(count), 0);
        at::parallel_for(0, count, 1, [&](int64_t first, int64_t last) {
            for (int64_t r = first; r < last; ++r) {
                if (quantised.screened[size_t(r)]) {
                    exact[size_t(r)] = exactFromScreen(xb + r * d, w, n, d, b, upper.data() + r * n,
                                                       topK ? lower.data() + r * n : nullptr, rule,
                                                       maxCandidates, Bf16DotKernel::Avx512Bf16,
                                                       features[size_t(r)], values[size_t(r)],
                                                       &candidates[size_t(r)]);
                }
            }
        });
        // Rows left to the plain encode (not finite or huge, too many candidates, a TopK tie):
        // their pre-activations all at once from the same bf16 input, and activate()'s rule.
        std::vector<int64_t> plainRows;
        for (int64_t r = 0; r < count; ++r) {
            if (!exact[size_t(r)]) {
                plainRows.push_back(r);
            }
            codes.screenCandidates += candidates[size_t(r)];
        }
        at::Tensor plain;
        if (!plainRows.empty()) {
            const at::Tensor index = at::tensor(plainRows, at::TensorOptions().dtype(at::kLong));
            plain = activate(bf16KernelPreActivations(input.index_select(0, index), m_weights.wEnc,
                                                      m_weights.bEnc))
                            .contiguous();
        }
        const float *plainValues = plain.defined() ? plain.data_ptr<float>() : nullptr;
        int64_t nextPlain = 0;
        for (int64_t r = 0; r < count; ++r) {
            if (exact[size_t(r)]) {
                codes.features.insert(codes.features.end(), features[size_t(r)].begin(),
                                      features[size_t(r)].end());
                codes.values.insert(codes.values.end(), values[size_t(r)].begin(),
                                    values[size_t(r)].end());
                codes.rowStart.push_back(int64_t(codes.features.size()));
            } else {
                codes.appendDenseRow(plainValues + (nextPlain++) * n, n);
            }
        }
    }
    return codes;
}

}  // namespace gyrus::gpu::detail
