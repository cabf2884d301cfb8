// The encode screen of a wide bf16 SAE (int8_screen.h, SaeModule::buildEncodeScreen): the int8
// screen's bound holds for every row and latent, including data built to make it tight; a sparse
// encode through the screen equals the plain one index for index and value for value (JumpReLU
// with latents at, one float above and one float below their threshold, ReLU, TopK with and
// without ties at the k-th value, rows with a massive activation, all-zero rows, a NaN row); the
// loader builds it for a wide bf16 SAE and counts its bytes in the memory budget. Every int8
// kernel this CPU runs (AMX, AVX-512 VNNI, portable) gives the same int32 sums and bounds, and
// each encode is compared through each of them.

#include "gpu/sae/bf16_dots.h"
#include "gpu/sae/int8_screen.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"

#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

using gyrus::SaeArchitecture;
using gyrus::SaeConfig;
using namespace gyrus::gpu;
using namespace gyrus::gpu::detail;

namespace {

// bf16 bit patterns of `t` (rounded to bf16), row-major.
std::vector<uint16_t> bf16Bits(const at::Tensor &t)
{
    const at::Tensor b = t.to(at::kBFloat16).contiguous();
    const auto *p = reinterpret_cast<const uint16_t *>(b.data_ptr<at::BFloat16>());
    return std::vector<uint16_t>(p, p + b.numel());
}

bool screenRuns()
{
    return fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16 &&
           fastestInt8DotKernel() != Int8DotKernel::Portable;
}

const char *kernelName(Int8DotKernel kernel)
{
    switch (kernel) {
        case Int8DotKernel::Amx:
            return "amx";
        case Int8DotKernel::Avx512Vnni:
            return "vnni";
        case Int8DotKernel::Portable:
            break;
    }
    return "portable";
}

// The int8 kernels that run here, fastest first; `portable` adds the portable one.
std::vector<Int8DotKernel> int8Kernels(bool portable)
{
    std::vector<Int8DotKernel> kernels;
    for (const Int8DotKernel kernel : {Int8DotKernel::Amx, Int8DotKernel::Avx512Vnni}) {
        if (int8DotKernelRuns(kernel)) {
            kernels.push_back(kernel);
        }
    }
    if (portable) {
        kernels.push_back(Int8DotKernel::Portable);
    }
    return kernels;
}

// Rows that make the screen's bound work: Gaussian, a massive activation, zeros, values near
// bf16's smallest normal, large values, and a row whose quantisation residuals all point the
// same way (127 then 63/128: S = 1, every other value rounds down by 63/128).
at::Tensor adversarialRows(int64_t d)
{
    at::manual_seed(21);
    std::vector<at::Tensor> rows;
    for (int i = 0; i < 6; ++i) {
        rows.push_back(at::randn({d}) * (i + 1));
    }
    at::Tensor outlier = at::randn({d});
    outlier[3] = 3000.0;
    rows.push_back(outlier);
    rows.push_back(at::zeros({d}));
    rows.push_back(at::randn({d}) * 1e-38);  // bf16 subnormals among them: not quantised
    rows.push_back(at::randn({d}) * std::ldexp(1.0, -95));  // quantised, tiny scale
    rows.push_back(at::randn({d}) * std::ldexp(1.0, 40));
    at::Tensor aligned = at::full({d}, 63.0 / 128.0);
    aligned[0] = 127.0;
    rows.push_back(aligned);
    rows.push_back(-aligned);
    at::Tensor exact = at::ones({d});  // S·q = 1 up to float rounding: residuals ~0
    rows.push_back(exact);
    return at::stack(rows).to(at::kBFloat16);
}

// Latents to match: Gaussian, all ones (aligned with the aligned row's residuals), one whose
// residuals all point the same way (127/128 then 63·2^-14: T = 2^-7, the rest round to 0),
// zeros, a spike, tiny and large weights.
at::Tensor adversarialLatents(int64_t n, int64_t d)
{
    at::manual_seed(22);
    at::Tensor w = at::randn({n, d}) / std::sqrt(double(d));
    w[0].fill_(1.0);
    w[1].fill_(63.0 * std::ldexp(1.0, -14));
    w[1][0] = 127.0 / 128.0;
    w[2].zero_();
    w[3].zero_();
    w[3][5] = -2.5;
    w[4] = at::randn({d}) * 1e-38;
    w[5] = at::randn({d}) * std::ldexp(1.0, 40);
    w[6].fill_(-1.0);
    return w.to(at::kBFloat16);
}

// A SaeModule with a bf16 encoder held as loadSae holds one (the transpose of [d_sae, d_in]).
// `bDec` (optional): b_dec, not subtracted from the input (the screen's centre); otherwise a
// random b_dec subtracted from the input.
SaeModule makeModule(SaeArchitecture architecture, int64_t d, int64_t n, const at::Tensor &rows,
                     const at::Tensor &bias, const at::Tensor &threshold, int64_t k = 0,
                     const at::Tensor &bDec = at::Tensor())
{
    SaeConfig config;
    config.architecture = architecture;
    config.dIn = d;
    config.dSae = n;
    config.k = k;
    config.applyBDecToInput = !bDec.defined();
    SaeWeights w;
    w.wEnc = rows.to(at::kBFloat16).contiguous().t();
    w.bEnc = bias;
    w.wDec = rows.to(at::kBFloat16).contiguous();
    w.bDec = bDec.defined() ? bDec : at::randn({d}) * 0.1;
    w.threshold = threshold;
    return SaeModule(config, w);
}

// Both encodes of `x`, through the screen (on each int8 kernel that runs here) and without, in
// blocks of 16 rows, compared bit for bit. Returns the screened encode's candidates per row.
double compareEncodes(const SaeModule &plain, const at::Tensor &x)
{
    SaeModule screened = plain;
    if (!screened.buildEncodeScreen(0)) {
        return -1;
    }
    const int64_t budget = 16 * (plain.config().dSae * 16 + plain.config().dIn * 8);
    const SparseActivations want = plain.encodeSparse(x, budget);
    double candidates = -4;
    for (const Int8DotKernel kernel : int8Kernels(false)) {
        qputenv("GYRUS_SAE_SCREEN_KERNEL", kernelName(kernel));
        const SparseActivations got = screened.encodeSparse(x, budget);
        qunsetenv("GYRUS_SAE_SCREEN_KERNEL");
        if (want.rowStart != got.rowStart || want.features != got.features ||
            want.values.size() != got.values.size() ||
            std::memcmp(want.values.data(), got.values.data(),
                        want.values.size() * sizeof(float)) != 0) {
            qWarning("screened encode (%s) differs: %zu vs %zu entries", kernelName(kernel),
                     got.features.size(), want.features.size());
            return -2;
        }
        if (want.screenCandidates != -1 || got.screenCandidates < 0 ||
            (candidates >= 0 && double(got.screenCandidates) / double(x.size(0)) != candidates)) {
            return -3;
        }
        candidates = double(got.screenCandidates) / double(x.size(0));
    }
    return candidates;
}

}  // namespace

class TestSaeScreen : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyKernelGivesTheSameSumsAndBounds();
    void boundHoldsForEveryRowAndLatent();
    void jumpReluEncodeEqualsThePlainOneAtItsThresholds();
    void reluAndTopKEncodesEqualThePlainOnes();
    void topKTiesGoToThePlainEncode();
    void loaderBuildsTheScreenAndBudgetsIt();
    void changingTheWeightsDropsTheScreen();
};

void TestSaeScreen::everyKernelGivesTheSameSumsAndBounds()
{
    const std::vector<Int8DotKernel> kernels = int8Kernels(true);
    QStringList names;
    for (const Int8DotKernel kernel : kernels) {
        names << QLatin1String(kernelName(kernel));
    }
    qInfo("int8 kernels compared: %s", qPrintable(names.join(QLatin1String(", "))));
    // Shapes the kernels' tiles do not divide: inputs not a multiple of 64 (300), latents not a
    // multiple of 16 (200) in ranges that start and end inside a 16-latent block, 37 rows (two
    // 16-row tiles and a padded one).
    for (const int64_t d : {int64_t(64), int64_t(300), int64_t(2304)}) {
        const int64_t n = 200;
        at::manual_seed(81);
        const at::Tensor x =
                at::cat({adversarialRows(d), (at::randn({23, d}) * 2.0 + 0.5).to(at::kBFloat16)});
        const int64_t rows = x.size(0);
        QCOMPARE(rows, int64_t(37));
        const std::vector<uint16_t> xb = bf16Bits(x);
        const std::vector<uint16_t> wb = bf16Bits(adversarialLatents(n, d));
        const std::vector<uint16_t> cb = bf16Bits(at::randn({d}));
        const std::vector<float> bias(size_t(n), 0.25f);
        Int8Encoder encoder = allocateInt8Encoder(n, d, cb.data());
        QVERIFY(quantiseEncoderRows(wb.data(), 0, n, encoder));
        QVERIFY(centreEncoderRows(wb.data(), bias.data(), 0, n, encoder, Bf16DotKernel::Portable));
        const Int8Rows q = quantiseRows(xb.data(), rows, encoder);
        const std::vector<std::pair<int64_t, int64_t>> ranges{{0, n}, {7, n - 5}, {17, 18}};
        for (const auto &[begin, end] : ranges) {
            const int64_t count = end - begin;
            std::vector<int32_t> reference;
            std::vector<float> referenceUpper;
            std::vector<float> referenceLower;
            for (const Int8DotKernel kernel : kernels) {
                std::vector<int32_t> sums(size_t(rows * count), -1);
                int8Dots(q, encoder, begin, end, sums.data(), count, kernel);
                std::vector<float> upper(size_t(rows * n), 0.0f);
                std::vector<float> lower(size_t(rows * n), 0.0f);
                screenBounds(q, encoder, begin, end, upper.data(), lower.data(), n, kernel);
                if (reference.empty()) {
                    reference = sums;
                    referenceUpper = upper;
                    referenceLower = lower;
                    continue;
                }
                for (int64_t i = 0; i < rows * count; ++i) {
                    if (sums[size_t(i)] != reference[size_t(i)]) {
                        QFAIL(qPrintable(QStringLiteral("d %1, latents [%2, %3), %4: row %5, "
                                                        "latent %6: %7, %8 %9")
                                                 .arg(d)
                                                 .arg(begin)
                                                 .arg(end)
                                                 .arg(QLatin1String(kernelName(kernel)))
                                                 .arg(i / count)
                                                 .arg(begin + i % count)
                                                 .arg(sums[size_t(i)])
                                                 .arg(QLatin1String(kernelName(kernels.front())))
                                                 .arg(reference[size_t(i)])));
                    }
                }
                QVERIFY(std::memcmp(upper.data(), referenceUpper.data(),
                                    upper.size() * sizeof(float)) == 0);
                QVERIFY(std::memcmp(lower.data(), referenceLower.data(),
                                    lower.size() * sizeof(float)) == 0);
            }
            // Sums of actual products (not all zeros or the offset alone): the rows' +128 offset
            // against latent sums that vary.
            QVERIFY(std::any_of(reference.begin(), reference.end(),
                                [&](int32_t v) { return v != reference.front(); }));
        }
    }
}

void TestSaeScreen::boundHoldsForEveryRowAndLatent()
{
    for (const int64_t d : {int64_t(300), int64_t(64), int64_t(2304)}) {
        const int64_t n = 200;
        const at::Tensor x = adversarialRows(d);
        const at::Tensor w = adversarialLatents(n, d);
        const int64_t rows = x.size(0);
        const std::vector<uint16_t> xb = bf16Bits(x);
        const std::vector<uint16_t> wb = bf16Bits(w);
        const std::vector<float> bias = [&] {
            at::manual_seed(23);
            const at::Tensor b = at::randn({n}) * 0.3;
            return std::vector<float>(b.data_ptr<float>(), b.data_ptr<float>() + n);
        }();
        // Without a centre, with a Gaussian one, and with one next to the aligned rows
        // (127, then 0.5).
        const int centres = 3;
        for (int centreKind = 0; centreKind < centres; ++centreKind) {
            at::Tensor centre = centreKind == 1 ? at::randn({d}) * 3.0 : at::full({d}, 0.5);
            centre[0] = centreKind == 2 ? 127.0 : centre[0].item<double>();
            const std::vector<uint16_t> cb = bf16Bits(centre);
            Int8Encoder encoder = allocateInt8Encoder(n, d, centreKind > 0 ? cb.data() : nullptr);
            QVERIFY(quantiseEncoderRows(wb.data(), 0, n, encoder));
            // Two ranges, as threads take them, by both kernels.
            QVERIFY(centreEncoderRows(wb.data(), bias.data(), 0, 5, encoder,
                                      Bf16DotKernel::Portable));
            QVERIFY(centreEncoderRows(wb.data(), bias.data(), 5, n, encoder,
                                      fastestBf16DotKernel()));
            const Int8Rows q = quantiseRows(xb.data(), rows, encoder);
            for (int64_t t = 0; t < rows; ++t) {
                QVERIFY(q.screened[size_t(t)]);  // every row here is finite and under 2^50
            }
            std::vector<Bf16DotKernel> exactKernels{Bf16DotKernel::Portable};
            if (fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16) {
                exactKernels.push_back(Bf16DotKernel::Avx512Bf16);
            }
            const std::vector<Int8DotKernel> screenKernels = int8Kernels(true);
            double tightest = 0;
            for (const Int8DotKernel screenKernel : screenKernels) {
                std::vector<float> upper(size_t(rows * n));
                std::vector<float> lower(size_t(rows * n));
                // Two ranges, as threads take them.
                screenBounds(q, encoder, 0, 7, upper.data(), lower.data(), n, screenKernel);
                screenBounds(q, encoder, 7, n, upper.data(), lower.data(), n, screenKernel);
                for (const Bf16DotKernel exactKernel : exactKernels) {
                    std::vector<float> exact(size_t(rows * n));
                    bf16RowDots(xb.data(), rows, wb.data(), 0, n, d, bias.data(), exact.data(), n,
                                exactKernel);
                    for (int64_t i = 0; i < rows * n; ++i) {
                        const float p = exact[size_t(i)];
                        if (!(lower[size_t(i)] <= p && p <= upper[size_t(i)])) {
                            QFAIL(qPrintable(QStringLiteral("d %1, row %2, latent %3: %4 outside "
                                                            "[%5, %6]")
                                                     .arg(d)
                                                     .arg(i / n)
                                                     .arg(i % n)
                                                     .arg(double(p), 0, 'g', 9)
                                                     .arg(double(lower[size_t(i)]), 0, 'g', 9)
                                                     .arg(double(upper[size_t(i)]), 0, 'g', 9)));
                        }
                        const double middle = (double(upper[size_t(i)]) + lower[size_t(i)]) / 2;
                        const double half = (double(upper[size_t(i)]) - lower[size_t(i)]) / 2;
                        if (half > 0) {
                            tightest = std::max(tightest, std::fabs(double(p) - middle) / half);
                        }
                    }
                }
            }
            // The aligned rows and latents use more than half of their bound: a bound half as wide
            // would not hold (this test would fail), so it is not loose by 2x on them.
            if (centreKind != 1) {
                QVERIFY2(tightest > 0.6, qPrintable(QString::number(tightest)));
            }
            if (centreKind == 0) {
                // On Gaussian rows the bound is a fraction of the pre-activations' spread (~RMS 1
                // for the first row against the Gaussian latents): few latents reach a threshold of
                // ~3 RMS.
                std::vector<float> upper(size_t(rows * n));
                std::vector<float> lower(size_t(rows * n));
                screenBounds(q, encoder, 0, n, upper.data(), lower.data(), n,
                             Int8DotKernel::Portable);
                double width = 0;
                for (int64_t j = 10; j < n; ++j) {
                    width += (double(upper[size_t(j)]) - lower[size_t(j)]) / 2;
                }
                width /= double(n - 10);
                QVERIFY2(width < 1.0, qPrintable(QString::number(width)));
            }
        }
    }
}

void TestSaeScreen::jumpReluEncodeEqualsThePlainOneAtItsThresholds()
{
    if (!screenRuns()) {
        QSKIP("the encode screen needs AVX-512 BF16 and VNNI or AMX");
    }
    const int64_t d = 300;  // not a multiple of 64 or 32: the padded and masked tails
    const int64_t n = 4096;
    at::manual_seed(31);
    const at::Tensor latents = at::randn({n, d}) / std::sqrt(double(d));
    at::Tensor x = at::randn({70, d}) * 2.0;
    x[5].zero_();
    x[9][17] = 4000.0;  // a massive activation: the row's bound is wide
    x[11][0] = std::numeric_limits<float>::quiet_NaN();
    // b_dec is subtracted before the encoder: an all-zero encoder input needs x = b_dec.
    SaeModule module = makeModule(SaeArchitecture::JumpRelu, d, n, latents, at::randn({n}) * 0.2,
                                  at::full({n}, 7.0));
    x[6] = module.weights().bDec;
    // Thresholds about 3.3 RMS up (~0.05 % of the latents fire, as a trained SAE's L0 of ~60 at
    // 131k); on row 0 latents 0-29 sit exactly at it (off), 30-59 one float above it (on),
    // 60-89 one float below it (off).
    const at::Tensor pre = module.preActivations(x.narrow(0, 0, 1)).squeeze(0);
    at::Tensor threshold = at::full({n}, 6.6) + at::rand({n}) * 0.2;
    for (int64_t j = 0; j < 90; ++j) {
        const float p = pre[j].item<float>();
        threshold[j] = j < 30 ? p : std::nextafter(p, j < 60 ? -HUGE_VALF : HUGE_VALF);
    }
    module.mutableWeights().threshold = threshold;
    const SparseActivations plain = module.encodeSparse(x);
    std::vector<int32_t> row0(plain.features.begin(), plain.features.begin() + plain.rowStart[1]);
    for (int32_t j = 0; j < 90; ++j) {
        const bool fires = std::find(row0.begin(), row0.end(), j) != row0.end();
        QCOMPARE(fires, j >= 30 && j < 60 && pre[j].item<float>() != 0.0f);
    }
    const double candidates = compareEncodes(module, x);
    QVERIFY2(candidates >= 0, qPrintable(QString::number(candidates)));
    // The massive activation's row takes all 4,096 latents; the others few.
    QVERIFY2(candidates < n / 8, qPrintable(QString::number(candidates)));
}

void TestSaeScreen::reluAndTopKEncodesEqualThePlainOnes()
{
    if (!screenRuns()) {
        QSKIP("the encode screen needs AVX-512 BF16 and VNNI or AMX");
    }
    const int64_t d = 256;
    const int64_t n = 4096;
    at::manual_seed(41);
    const at::Tensor latents = at::randn({n, d}) / std::sqrt(double(d));
    // Every row shares a mean 4x its spread, which b_dec holds: the screen quantises x − b_dec
    // (its centre), or without one the shared part would take the int8 range.
    const at::Tensor mean = at::randn({d}) * 4.0;
    at::Tensor x = at::randn({40, d}) + mean;
    x[3][100] = -2500.0;
    x[4].zero_();
    x[5] = mean;
    for (const bool centred : {true, false}) {
        const at::Tensor bDec = centred ? mean : at::Tensor();
        // ReLU with biases ~2.5 RMS below the latents' mean: ~1 % of them fire.
        const at::Tensor shift = at::matmul(latents, mean);
        const SaeModule relu =
                makeModule(SaeArchitecture::Relu, d, n, latents,
                           at::randn({n}) * 0.1 - 2.5 - (centred ? shift : at::zeros({n})),
                           at::Tensor(), 0, bDec);
        const double reluCandidates = compareEncodes(relu, x);
        QVERIFY2(reluCandidates >= 0, qPrintable(QString::number(reluCandidates)));
        // Centred, few latents are left to the exact pass (all 4,096 of the row with the massive
        // activation: ~100 a row of the 40); without the centre the shared mean makes the bound
        // wide and most rows go to the plain encode (the same codes).
        QVERIFY2(!centred || reluCandidates < n / 16, qPrintable(QString::number(reluCandidates)));
        for (const int64_t k : {int64_t(1), int64_t(32), int64_t(4096)}) {
            const SaeModule topK = makeModule(SaeArchitecture::TopK, d, n, latents,
                                              at::randn({n}) * 0.1, at::Tensor(), k, bDec);
            const double candidates = compareEncodes(topK, x);
            QVERIFY2(candidates >= 0,
                     qPrintable(QStringLiteral("k %1: %2").arg(k).arg(candidates)));
        }
        // BatchTopK at inference is a JumpReLU with one threshold.
        const SaeModule batchTopK =
                makeModule(SaeArchitecture::BatchTopK, d, n, latents,
                           centred ? -shift : at::zeros({n}), at::full({n}, 3.0), 0, bDec);
        QVERIFY(compareEncodes(batchTopK, x) >= 0);
    }
}

void TestSaeScreen::topKTiesGoToThePlainEncode()
{
    if (!screenRuns()) {
        QSKIP("the encode screen needs AVX-512 BF16 and VNNI or AMX");
    }
    // Latents in identical pairs: every value comes twice, so with an odd k the k-th and
    // (k+1)-th values are equal on every row, and only LibTorch's topk can say which of the two
    // it keeps.
    const int64_t d = 128;
    const int64_t n = 2048;
    at::manual_seed(51);
    const at::Tensor half = at::randn({n / 2, d}) / std::sqrt(double(d));
    const at::Tensor latents = half.repeat_interleave(2, 0);
    const at::Tensor bias = (at::randn({n / 2}) * 0.1).repeat_interleave(2, 0);
    const at::Tensor x = at::randn({24, d});
    const SaeModule odd = makeModule(SaeArchitecture::TopK, d, n, latents, bias, at::Tensor(), 7);
    const double oddCandidates = compareEncodes(odd, x);
    QVERIFY2(oddCandidates >= 0, qPrintable(QString::number(oddCandidates)));
    const SaeModule even = makeModule(SaeArchitecture::TopK, d, n, latents, bias, at::Tensor(), 8);
    QVERIFY(compareEncodes(even, x) >= 0);
}

void TestSaeScreen::loaderBuildsTheScreenAndBudgetsIt()
{
    if (!screenRuns()) {
        QSKIP("the encode screen needs AVX-512 BF16 and VNNI or AMX");
    }
    const int64_t d = 256;
    const int64_t n = 4096;
    at::manual_seed(61);
    const SaeModule written = makeModule(SaeArchitecture::JumpRelu, d, n, at::randn({n, d}) / 16.0,
                                         at::zeros({n}), at::full({n}, 3.0));
    QTemporaryDir dir;
    QVERIFY(saveSae(written, dir.path()).isOk());
    qputenv("GYRUS_SAE_BF16_ABOVE", "0");
    // Below 16,384 latents by default: no screen, nothing budgeted for it.
    auto narrow = loadSae(dir.path());
    QVERIFY2(narrow, qPrintable(narrow.status().message()));
    QVERIFY(!narrow.value()->screensEncode());
    qputenv("GYRUS_SAE_SCREEN_ABOVE", "4096");
    auto loaded = loadSae(dir.path());
    QVERIFY2(loaded, qPrintable(loaded.status().message()));
    QCOMPARE(loaded.value()->weightDtype(), at::kBFloat16);
    QVERIFY(loaded.value()->screensEncode());
    // 4096 x 256 int8 values, 24 bytes a latent and the bf16 centre (1.1 MB), named in a
    // refusal.
    QCOMPARE(SaeModule::screenBytes(n, d), n * d + 24 * n + 2 * d);
    qputenv("GYRUS_MEMORY_AVAILABLE", "16000000");
    auto refused = loadSae(dir.path());
    qunsetenv("GYRUS_MEMORY_AVAILABLE");
    qunsetenv("GYRUS_SAE_SCREEN_ABOVE");
    qunsetenv("GYRUS_SAE_BF16_ABOVE");
    QVERIFY(!refused);
    QVERIFY2(refused.status().message().contains(QLatin1String("the encoder's int8 screen 1 MB")),
             qPrintable(refused.status().message()));
}

void TestSaeScreen::changingTheWeightsDropsTheScreen()
{
    if (!screenRuns()) {
        QSKIP("the encode screen needs AVX-512 BF16 and VNNI or AMX");
    }
    at::manual_seed(71);
    SaeModule module = makeModule(SaeArchitecture::JumpRelu, 64, 512, at::randn({512, 64}) / 8.0,
                                  at::zeros({512}), at::full({512}, 3.0));
    QVERIFY(!module.buildEncodeScreen());  // 512 latents: under the default width
    QVERIFY(module.buildEncodeScreen(0));
    const SaeModule copy = module;
    QVERIFY(copy.screensEncode());
    module.mutableWeights().wEnc.mul_(2.0);
    QVERIFY(!module.screensEncode());
    QCOMPARE(module.encodeSparse(at::randn({4, 64})).screenCandidates, int64_t(-1));
}

QTEST_GUILESS_MAIN(TestSaeScreen)
#include "tst_sae_screen.moc"
