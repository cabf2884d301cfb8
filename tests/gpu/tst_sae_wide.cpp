// Wide SAEs at a moderate size: a bf16 SAE file stays bf16 when loaded and encodes like the same
// weights in float32 within the bound that bf16 rounding allows; a batched encode never holds more
// rows than its memory budget allows and gives the codes of the dense encode; an edit reads only
// the features it needs.

#include "core/base/memory_budget.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/bf16_dots.h"
#include "gpu/sae/decoder_geometry.h"
#include "gpu/sae/npz_reader.h"
#include "gpu/sae/published_sae_loaders.h"
#include "gpu/sae/sae_folding.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>

#include <cstring>

using gyrus::processStatusBytes;
using gyrus::SaeArchitecture;
using gyrus::SaeConfig;
using namespace gyrus::gpu;
using namespace gyrus::gpu::detail;

namespace {

constexpr int64_t kD = 256;
constexpr int64_t kN = 4096;
constexpr int64_t kB = 48;

// A JumpReLU SAE whose weights are exactly representable in bf16 (so the float32 module is the
// same function as the bf16 one up to the rounding of the arithmetic).
SaeModule makeModule(SaeArchitecture architecture, at::ScalarType matrixType, uint64_t seed)
{
    at::manual_seed(seed);
    SaeConfig config;
    config.architecture = architecture;
    config.dIn = kD;
    config.dSae = kN;
    config.k = 32;
    config.applyBDecToInput = true;
    config.hookName = QStringLiteral("blocks.3.hook_resid_post");
    SaeWeights w;
    w.wEnc = (at::randn({kD, kN}) / std::sqrt(double(kD))).to(at::kBFloat16).to(matrixType);
    w.bEnc = at::randn({kN}) * 0.1;
    w.wDec = (at::randn({kN, kD}) * 0.05).to(at::kBFloat16).to(matrixType);
    w.bDec = at::randn({kD}) * 0.2;
    if (architecture == SaeArchitecture::JumpRelu) {
        w.threshold = at::rand({kN}) + 1.5;  // about 5 % of the latents active
    }
    return SaeModule(config, w);
}

// bf16 bit patterns of `t` (rounded to bf16), row-major.
std::vector<uint16_t> bf16Bits(const at::Tensor &t)
{
    const at::Tensor b = t.to(at::kBFloat16).contiguous();
    const auto *p = reinterpret_cast<const uint16_t *>(b.data_ptr<at::BFloat16>());
    return std::vector<uint16_t>(p, p + b.numel());
}

bool sameBits(float a, float b)
{
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// One .npy array: `raw` holds the values in the dtype `descr` names ('<f4', '<f2', '<f8').
QByteArray npyBytes(const char *descr, const std::vector<int64_t> &shape, const QByteArray &raw)
{
    QStringList dims;
    for (const int64_t size : shape) {
        dims << QString::number(size);
    }
    QByteArray header = QStringLiteral("{'descr': '%1', 'fortran_order': False, 'shape': (%2,), }")
                                .arg(QLatin1String(descr), dims.join(QStringLiteral(", ")))
                                .toLatin1();
    // As numpy pads it: the data starts at a multiple of 64 bytes, the header ends in '\n'.
    while ((10 + header.size() + 1) % 64 != 0) {
        header.append(' ');
    }
    header.append('\n');
    QByteArray bytes("\x93NUMPY\x01\x00", 8);
    bytes.append(char(header.size() & 0xff)).append(char(header.size() >> 8));
    return bytes + header + raw;
}

// The arrays in a stored (uncompressed) zip, as np.savez writes them. The CRC fields are left
// zero: Gyrus's reader does not check them (np.load would).
void writeNpz(const QString &path, const QList<QPair<QString, QByteArray>> &arrays)
{
    QByteArray file;
    QByteArray directory;
    QDataStream out(&file, QIODevice::WriteOnly);
    out.setByteOrder(QDataStream::LittleEndian);
    QDataStream dir(&directory, QIODevice::WriteOnly);
    dir.setByteOrder(QDataStream::LittleEndian);
    for (const auto &[name, npy] : arrays) {
        const QByteArray fileName = (name + QStringLiteral(".npy")).toUtf8();
        const auto offset = quint32(file.size());
        out << quint32(0x04034b50) << quint16(20) << quint16(0) << quint16(0) << quint32(0)
            << quint32(0) << quint32(npy.size()) << quint32(npy.size()) << quint16(fileName.size())
            << quint16(0);
        out.writeRawData(fileName.constData(), int(fileName.size()));
        out.writeRawData(npy.constData(), int(npy.size()));
        dir << quint32(0x02014b50) << quint16(20) << quint16(20) << quint16(0) << quint16(0)
            << quint32(0) << quint32(0) << quint32(npy.size()) << quint32(npy.size())
            << quint16(fileName.size()) << quint16(0) << quint16(0) << quint16(0) << quint16(0)
            << quint32(0) << offset;
        dir.writeRawData(fileName.constData(), int(fileName.size()));
    }
    const auto directoryStart = quint32(file.size());
    out.writeRawData(directory.constData(), int(directory.size()));
    out << quint32(0x06054b50) << quint16(0) << quint16(0) << quint16(arrays.size())
        << quint16(arrays.size()) << quint32(directory.size()) << directoryStart << quint16(0);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(file), qint64(file.size()));
}

QByteArray rawBytes(const at::Tensor &t)
{
    const at::Tensor c = t.contiguous();
    return QByteArray(static_cast<const char *>(c.data_ptr()), qsizetype(c.nbytes()));
}

SaeModule asFloat(const SaeModule &module)
{
    SaeWeights w = module.weights();
    w.wEnc = w.wEnc.to(at::kFloat);
    w.wDec = w.wDec.to(at::kFloat);
    return SaeModule(module.config(), w);
}

}  // namespace

class TestSaeWide : public QObject
{
    Q_OBJECT

private Q_SLOTS:

    // A bf16 file stays bf16 above 256 MiB of float32 matrices; this moderate one (8 MiB) is
    // kept bf16 by lowering that line, and the default copies it to float32.
    void initTestCase() { qputenv("GYRUS_SAE_BF16_ABOVE", "0"); }

    void narrowBf16FileBecomesFloat32ByDefault();
    void bf16DotsFollowTheirStatedOrder();
    void wideBf16EncodeIsOneFunctionAtItsThresholds();
    void bf16FileStaysBf16AndEncodesLikeFloat32();
    void batchedEncodeStaysWithinItsBudget();
    void encodeFeaturesReadsOnlyTheListedFeatures();
    void mixedMatrixDtypesAreRefused();

    // Cosines with every decoder row, read in blocks of rows (the inspector's neighbours, the
    // concept vector's features): the same as float64 over the whole decoder, whatever the block.
    void decoderCosinesInBlocksEqualTheWholeDecoderInFloat64();
    void bf16LoadIsBudgetedInBf16();
    void copyFromArchiveInSlicesEqualsTheFileAndLetsItsPagesGo();
    void wideMatrixIsCheckedForNaNToItsLastColumn();
    void gemmaScopeNpzIsCopiedInSlicesThatLetItsPagesGo();
    void decoderNormsFoldInPlaceInBlocksLikeFloat64();
};

void TestSaeWide::narrowBf16FileBecomesFloat32ByDefault()
{
    QTemporaryDir dir;
    QVERIFY(saveSae(makeModule(SaeArchitecture::JumpRelu, at::kBFloat16, 3), dir.path()).isOk());
    qunsetenv("GYRUS_SAE_BF16_ABOVE");
    auto loaded = loadSae(dir.path());
    qputenv("GYRUS_SAE_BF16_ABOVE", "0");
    QVERIFY2(loaded, qPrintable(loaded.status().message()));
    QCOMPARE(loaded.value()->weightDtype(), at::kFloat);
}

void TestSaeWide::bf16FileStaysBf16AndEncodesLikeFloat32()
{
    const SaeModule written = makeModule(SaeArchitecture::JumpRelu, at::kBFloat16, 3);
    QTemporaryDir dir;
    QVERIFY(saveSae(written, dir.path()).isOk());
    QFile cfg(QDir(dir.path()).filePath(QStringLiteral("cfg.json")));
    QVERIFY(cfg.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(cfg.readAll()).object().value(QStringLiteral("dtype")),
             QStringLiteral("bfloat16"));
    auto loaded = loadSae(dir.path());
    QVERIFY2(loaded, qPrintable(loaded.status().message()));
    const SaeModule &bf16 = *loaded.value();
    QCOMPARE(bf16.weightDtype(), at::kBFloat16);
    QCOMPARE(bf16.weights().wEnc.nbytes(), size_t(kD * kN * 2));
    QCOMPARE(bf16.weights().wDec.nbytes(), size_t(kD * kN * 2));
    const SaeModule fp32 = asFloat(bf16);

    at::manual_seed(11);
    const at::Tensor x = at::randn({kB, kD}) * 2.0;
    // The bound bf16 allows (unit roundoff u = 2^-8): the input rounded to bf16 moves each
    // product by at most u·|x_i·w_ij|, the float32 sum adds next to nothing, and the result
    // rounded to bf16 moves it by at most u·|pre|: |Δpre_j| ≤ 2u·Σ_i |x_i|·|w_ij| (+ float32
    // slack).
    const at::Tensor input = x - bf16.weights().bDec;
    const double u = std::ldexp(1.0, -8);
    const at::Tensor bound =
            2.0 * u * at::matmul(input.abs(), fp32.weights().wEnc.abs()) * (1 + u) + 1e-5;
    const at::Tensor preBf16 = bf16.preActivations(x);
    const at::Tensor preFp32 = fp32.preActivations(x);
    QCOMPARE(preBf16.scalar_type(), at::kFloat);
    const at::Tensor excess = (preBf16 - preFp32).abs() - bound;
    QVERIFY2(excess.max().item<double>() <= 0,
             qPrintable(QStringLiteral("pre-activation error exceeds the bound by %1")
                                .arg(excess.max().item<double>())));
    // bf16 is not float32: the error is really there (the test would notice a float32 copy).
    QVERIFY((preBf16 - preFp32).abs().max().item<double>() > 0);

    // Activations: the same wherever the threshold is farther than the bound, within the bound
    // where both are active; a latent within the bound of its threshold may flip.
    const at::Tensor fBf16 = bf16.encode(x);
    const at::Tensor fFp32 = fp32.encode(x);
    const at::Tensor clear = (preFp32 - fp32.weights().threshold).abs() > bound;
    QVERIFY(at::equal(fBf16.gt(0).logical_and(clear), fFp32.gt(0).logical_and(clear)));
    QVERIFY(((fBf16 - fFp32).abs() - bound).masked_select(clear).max().item<double>() <= 0);
    const int64_t active = fFp32.gt(0).sum().item<int64_t>();
    QVERIFY2(active > kB * kN / 100, "the test SAE should have active latents");
    // The worst-case bound is loose (the errors are ~5x under it here), so a few percent of the
    // entries are undecided by it; most are decided.
    QVERIFY(clear.logical_not().sum().item<int64_t>() < kB * kN / 20);

    // Decoding with a bf16 decoder: float32 out, close to the float32 decoder (relative 2^-7).
    const at::Tensor xHatBf16 = bf16.decode(fFp32);
    const at::Tensor xHatFp32 = fp32.decode(fFp32);
    QCOMPARE(xHatBf16.scalar_type(), at::kFloat);
    QVERIFY((xHatBf16 - xHatFp32).norm().item<double>() <
            std::ldexp(1.0, -7) * xHatFp32.norm().item<double>());
}

void TestSaeWide::bf16DotsFollowTheirStatedOrder()
{
    // Sizes around the kernel's 32-value steps and its 8/4/2/1-row and 3/1-latent tiles.
    at::manual_seed(31);
    for (const int64_t d : {1, 31, 32, 33, 100, 256}) {
        for (const int64_t rows : {1, 3, 7, 8, 13}) {
            const int64_t latents = 11;
            const at::Tensor x = at::randn({rows, d}).to(at::kBFloat16);
            const at::Tensor w = at::randn({latents, d}).to(at::kBFloat16);
            const at::Tensor bias = at::randn({latents});
            const std::vector<uint16_t> xb = bf16Bits(x);
            const std::vector<uint16_t> wb = bf16Bits(w);
            // Latents 2..10 only: the others must be left as they were.
            std::vector<float> portable(size_t(rows * latents), -7.0F);
            bf16RowDots(xb.data(), rows, wb.data(), 2, latents, d, bias.data_ptr<float>(),
                        portable.data(), latents, Bf16DotKernel::Portable);
            // Against float64: each lane adds d/16 products (exact in float32) and the lanes
            // are summed in 4 steps, so |error| <= (d/16 + 5)·2^-24·(Σ|x_i·w_i| + |bias|).
            const at::Tensor exact =
                    at::matmul(x.to(at::kDouble), w.to(at::kDouble).t()) + bias.to(at::kDouble);
            const at::Tensor scale =
                    at::matmul(x.to(at::kDouble).abs(), w.to(at::kDouble).abs().t()) +
                    bias.to(at::kDouble).abs();
            for (int64_t t = 0; t < rows; ++t) {
                for (int64_t j = 0; j < latents; ++j) {
                    const float got = portable[size_t(t * latents + j)];
                    if (j < 2) {
                        QCOMPARE(got, -7.0F);
                        continue;
                    }
                    const double bound = (double(d) / 16 + 5) * std::ldexp(1.0, -24) *
                                         scale[t][j].item<double>();
                    QVERIFY2(std::abs(got - exact[t][j].item<double>()) <= bound,
                             qPrintable(QStringLiteral("d %1, row %2, latent %3")
                                                .arg(d)
                                                .arg(t)
                                                .arg(j)));
                }
            }
            if (fastestBf16DotKernel() != Bf16DotKernel::Avx512Bf16) {
                continue;
            }
            // The AVX-512 BF16 kernel: the same sums bit for bit.
            std::vector<float> fast(size_t(rows * latents), -7.0F);
            bf16RowDots(xb.data(), rows, wb.data(), 2, latents, d, bias.data_ptr<float>(),
                        fast.data(), latents, Bf16DotKernel::Avx512Bf16);
            for (size_t i = 0; i < fast.size(); ++i) {
                QVERIFY2(sameBits(fast[i], portable[i]),
                         qPrintable(QStringLiteral("d %1, rows %2, entry %3: %4 vs %5")
                                            .arg(d)
                                            .arg(rows)
                                            .arg(i)
                                            .arg(double(fast[i]), 0, 'g', 9)
                                            .arg(double(portable[i]), 0, 'g', 9)));
            }
        }
    }
    if (fastestBf16DotKernel() != Bf16DotKernel::Avx512Bf16) {
        QSKIP("no AVX-512 BF16 on this CPU: the portable order was checked, not the kernel");
    }
}

void TestSaeWide::wideBf16EncodeIsOneFunctionAtItsThresholds()
{
    // A bf16 SAE held as loadSae holds one (W_enc the transpose of [d_sae, d_in] rows), wide
    // enough that the encode's latents are split between threads.
    constexpr int64_t kWide = 40000;
    at::manual_seed(37);
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = kD;
    config.dSae = kWide;
    config.applyBDecToInput = true;
    SaeWeights w;
    w.wEnc = (at::randn({kWide, kD}) / std::sqrt(double(kD))).to(at::kBFloat16).t();
    w.bEnc = at::randn({kWide}) * 0.1;
    w.wDec = (at::randn({kWide, kD}) * 0.05).to(at::kBFloat16);
    w.bDec = at::randn({kD}) * 0.2;
    w.threshold = at::full({kWide}, 2.0);
    SaeModule module(config, w);
    QVERIFY(module.validate().isEmpty());
    const at::Tensor x = at::randn({kB, kD}) * 2.0;

    // The pre-activations are the kernel's sums (over the input minus b_dec, rounded to bf16)
    // plus b_enc, bit for bit.
    const at::Tensor pre = module.preActivations(x);
    QCOMPARE(pre.scalar_type(), at::kFloat);
    if (fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16) {
        const std::vector<uint16_t> xb = bf16Bits(x - w.bDec);
        const std::vector<uint16_t> wb = bf16Bits(w.wEnc.t());
        for (const int64_t j : {int64_t(0), int64_t(1), int64_t(1537), kWide - 1}) {
            std::vector<float> column(static_cast<size_t>(kB));
            bf16RowDots(xb.data(), kB, wb.data() + j * kD, 0, 1, kD, w.bEnc.data_ptr<float>() + j,
                        column.data(), 1, Bf16DotKernel::Portable);
            for (int64_t t = 0; t < kB; ++t) {
                QVERIFY(sameBits(pre[t][j].item<float>(), column[size_t(t)]));
            }
        }
    }

    // Latents right at their threshold: every 5th latent's threshold is token 0's
    // pre-activation (pre > threshold is false: inactive) and every 5th + 1 the float just
    // below it (active).
    at::Tensor &threshold = module.mutableWeights().threshold;
    for (int64_t j = 0; j < kWide; j += 5) {
        const float at = pre[0][j].item<float>();
        threshold[j] = at;
        if (j + 1 < kWide) {
            threshold[j + 1] = std::nextafter(pre[0][j + 1].item<float>(), -INFINITY);
        }
    }
    const at::Tensor dense = module.encode(x);
    for (int64_t j = 0; j < kWide; j += 5) {
        QCOMPARE(dense[0][j].item<float>(), 0.0F);
        if (j + 1 < kWide) {
            QCOMPARE(dense[0][j + 1].item<float>(), pre[0][j + 1].item<float>());
        }
    }
    // The batched sparse encode (blocks of 5 rows) is the dense encode, index for index and
    // value for value.
    const int64_t budget = (kWide * 16 + kD * 8) * 5;
    QCOMPARE(module.encodeBlockRows(budget), int64_t(5));
    const SparseActivations codes = module.encodeSparse(x, budget);
    QCOMPARE(codes.rowStart.size(), size_t(kB + 1));
    int64_t atThreshold = 0;
    for (int64_t t = 0; t < kB; ++t) {
        const at::Tensor row = dense[t];
        const at::Tensor active = row.nonzero().reshape({-1});
        QCOMPARE(codes.rowStart[size_t(t) + 1] - codes.rowStart[size_t(t)], active.numel());
        for (int64_t e = 0; e < active.numel(); ++e) {
            const int64_t j = active[e].item<int64_t>();
            const size_t entry = size_t(codes.rowStart[size_t(t)] + e);
            QCOMPARE(int64_t(codes.features[entry]), j);
            QVERIFY(sameBits(codes.values[entry], row[j].item<float>()));
            atThreshold += t == 0 && j % 5 == 1 ? 1 : 0;
        }
    }
    QCOMPARE(atThreshold, (kWide + 3) / 5);  // every latent just above its threshold fired
    // A clamp's encoder columns give the same values as the whole encode.
    const std::vector<int64_t> some = {kWide - 1, 1, 1537, 5};
    const at::Tensor selected = module.encodeFeatures(x, some);
    const at::Tensor whole = dense.index_select(1, at::tensor(some, at::kLong));
    QVERIFY(at::equal(selected, whole));
}

void TestSaeWide::batchedEncodeStaysWithinItsBudget()
{
    for (const at::ScalarType type : {at::kFloat, at::kBFloat16}) {
        const SaeModule module = makeModule(SaeArchitecture::JumpRelu, type, 5);
        at::manual_seed(12);
        const at::Tensor x = at::randn({kB, kD}) * 2.0;
        // A budget of 7.5 rows' intermediates: blocks of 7.
        const int64_t perRow = kN * 16 + kD * 8;
        const int64_t budget = perRow * 15 / 2;
        QCOMPARE(module.encodeBlockRows(budget), int64_t(7));
        QCOMPARE(module.encodeBlockRows(1), int64_t(1));  // never zero rows
        std::vector<int64_t> blocks;
        const SparseActivations codes =
                module.encodeSparse(x, budget, [&](int64_t rows) { blocks.push_back(rows); });
        QCOMPARE(blocks.size(), size_t((kB + 6) / 7));
        int64_t total = 0;
        for (const int64_t rows : blocks) {
            QVERIFY(rows * perRow <= budget);
            total += rows;
        }
        QCOMPARE(total, kB);

        // The same codes as the dense encode of the whole batch (the threshold decides alike
        // away from it; values within float32 rounding of a different blocking).
        const at::Tensor dense = module.encode(x);
        const at::Tensor pre = module.preActivations(x);
        QCOMPARE(codes.rowStart.size(), size_t(kB + 1));
        for (int64_t r = 0; r < kB; ++r) {
            std::vector<int32_t> expected;
            for (int64_t j = 0; j < kN; ++j) {
                const double margin = std::abs(pre[r][j].item<double>() -
                                               module.weights().threshold[j].item<double>());
                if (dense[r][j].item<float>() != 0 && margin > 1e-4) {
                    expected.push_back(int32_t(j));
                }
            }
            std::vector<int32_t> got;
            for (int64_t e = codes.rowStart[size_t(r)]; e < codes.rowStart[size_t(r) + 1]; ++e) {
                const int32_t j = codes.features[size_t(e)];
                QVERIFY(std::abs(codes.values[size_t(e)] - dense[r][j].item<float>()) < 1e-4);
                const double margin = std::abs(pre[r][j].item<double>() -
                                               module.weights().threshold[j].item<double>());
                if (margin > 1e-4) {
                    got.push_back(j);
                }
            }
            QCOMPARE(got, expected);
        }
    }
}

void TestSaeWide::encodeFeaturesReadsOnlyTheListedFeatures()
{
    const std::vector<int64_t> features = {4000, 5, 17, 5};
    const at::Tensor ids = at::tensor(features, at::kLong);
    at::manual_seed(13);
    const at::Tensor x = at::randn({kB, kD}) * 2.0;
    for (const SaeArchitecture architecture :
         {SaeArchitecture::Relu, SaeArchitecture::JumpRelu, SaeArchitecture::TopK}) {
        for (const at::ScalarType type : {at::kFloat, at::kBFloat16}) {
            const SaeModule module = makeModule(architecture, type, 7);
            const at::Tensor some = module.encodeFeatures(x, features);
            QCOMPARE(some.sizes().vec(), (std::vector<int64_t>{kB, 4}));
            const at::Tensor all = module.encode(x).index_select(1, ids);
            QVERIFY2((some - all).abs().max().item<double>() < 1e-4,
                     qPrintable(QStringLiteral("architecture %1, %2")
                                        .arg(int(architecture))
                                        .arg(type == at::kFloat ? QStringLiteral("fp32")
                                                                : QStringLiteral("bf16"))));
        }
    }
}

void TestSaeWide::decoderCosinesInBlocksEqualTheWholeDecoderInFloat64()
{
    at::manual_seed(21);
    const at::Tensor direction = at::randn({kD});
    for (const at::ScalarType type : {at::kFloat, at::kBFloat16}) {
        SaeModule module = makeModule(SaeArchitecture::JumpRelu, type, 11);
        module.mutableWeights().wDec[9].zero_();  // a dead row: cosine 0, not NaN
        const at::Tensor decoder = module.weights().wDec.to(at::kDouble);
        const at::Tensor expected =
                decoder.matmul(direction.to(at::kDouble)) /
                (decoder.norm(2, {1}).clamp_min(1e-300) * direction.to(at::kDouble).norm());
        const at::Tensor whole = decoderCosines(module, direction, kN);
        for (const int64_t block : {int64_t(1000), int64_t(7), kN + 5}) {
            const at::Tensor cosine = decoderCosines(module, direction, block);
            QCOMPARE(cosine.sizes().vec(), (std::vector<int64_t>{kN}));
            QCOMPARE(cosine.scalar_type(), at::kFloat);
            QVERIFY2((cosine.to(at::kDouble) - expected).abs().max().item<double>() < 1e-6,
                     qPrintable(QStringLiteral("block %1").arg(block)));
            QVERIFY(at::equal(cosine, whole));
            QCOMPARE(cosine[9].item<float>(), 0.0f);
        }
        // The ranking a caller takes from it is the float64 one.
        QVERIFY(at::equal(std::get<1>(whole.abs().topk(20)), std::get<1>(expected.abs().topk(20))));
    }
}

void TestSaeWide::mixedMatrixDtypesAreRefused()
{
    SaeModule module = makeModule(SaeArchitecture::JumpRelu, at::kBFloat16, 1);
    QVERIFY(module.validate().isEmpty());
    module.mutableWeights().wDec = module.weights().wDec.to(at::kFloat);
    QCOMPARE(module.validate(), QStringLiteral("W_enc and W_dec must have the same dtype"));
    module = makeModule(SaeArchitecture::JumpRelu, at::kBFloat16, 1);
    module.mutableWeights().bEnc = module.weights().bEnc.to(at::kBFloat16);
    QCOMPARE(module.validate(), QStringLiteral("tensor 'b_enc' is not float32"));
}

void TestSaeWide::bf16LoadIsBudgetedInBf16()
{
    QTemporaryDir dir;
    QVERIFY(saveSae(makeModule(SaeArchitecture::JumpRelu, at::kBFloat16, 3), dir.path()).isOk());
    // The matrices need 2 x 4096 x 256 x 2 bytes (4 MB in bf16, 8 MB as float32), one encode
    // block 1,024 x (16 x 4096 + 8 x 256) bytes (69 MB): 16 MB available is refused, naming the
    // bf16 matrices at their bf16 size.
    qputenv("GYRUS_MEMORY_AVAILABLE", "16000000");
    auto refused = loadSae(dir.path());
    qunsetenv("GYRUS_MEMORY_AVAILABLE");
    QVERIFY(!refused);
    QVERIFY2(refused.status().message().contains(QLatin1String("W_enc and W_dec in bf16 4 MB")),
             qPrintable(refused.status().message()));
    QVERIFY2(refused.status().message().contains(
                     QLatin1String("one block of a batched encode 69 MB")),
             qPrintable(refused.status().message()));
}

void TestSaeWide::copyFromArchiveInSlicesEqualsTheFileAndLetsItsPagesGo()
{
    at::manual_seed(5);
    const at::Tensor small = at::randn({1000, 333}).to(at::kBFloat16);
    const at::Tensor large = at::randn({2048, 4096});  // 32 MiB of float32
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("t.safetensors"));
    QVERIFY(writeTensors(path, {{"small", small}, {"large", large}}).isOk());
    auto archive = SafetensorsArchive::open(path);
    QVERIFY2(archive, qPrintable(archive.status().message()));
    const at::Device cpu(at::kCPU);
    // Slices of 5,000 bytes: not whole pages, not whole rows of the file.
    for (const at::ScalarType type : {at::kBFloat16, at::kFloat}) {
        const at::Tensor copy =
                copyFromArchive(*archive, QStringLiteral("small"), type, cpu, false, 5000);
        QCOMPARE(copy.scalar_type(), type);
        QVERIFY(at::equal(copy, small.to(type)));
        const at::Tensor flipped =
                copyFromArchive(*archive, QStringLiteral("small"), type, cpu, true, 5000);
        QCOMPARE(flipped.sizes().vec(), (std::vector<int64_t>{333, 1000}));
        QVERIFY(flipped.is_contiguous());
        QVERIFY(at::equal(flipped, small.to(type).t()));
    }
    QVERIFY(!copyFromArchive(*archive, QStringLiteral("absent"), at::kFloat, cpu).defined());
    // The file's pages are let go as they are copied: the mapped pages held afterwards are at
    // most a slice (1 MiB) and a few more, not the tensor's 32 MiB.
    const qint64 filePagesBefore = processStatusBytes("RssFile");
    const at::Tensor copy =
            copyFromArchive(*archive, QStringLiteral("large"), at::kFloat, cpu, false, 1 << 20);
    const qint64 filePagesGained = processStatusBytes("RssFile") - filePagesBefore;
    QVERIFY2(filePagesGained < 4 << 20, qPrintable(QString::number(filePagesGained)));
    QVERIFY(at::equal(copy, large));
    // What was let go reads the same from the file again.
    QVERIFY(at::equal(tensorFromArchive(*archive, QStringLiteral("large")), large));
}

void TestSaeWide::gemmaScopeNpzIsCopiedInSlicesThatLetItsPagesGo()
{
    constexpr int64_t kIn = 256;
    constexpr int64_t kWidth = 32768;
    at::manual_seed(41);
    const at::Tensor wEnc = at::randn({kIn, kWidth});  // 32 MiB of float32
    const at::Tensor wDec = (at::randn({kWidth, kIn}) * 0.05).to(at::kHalf);
    const at::Tensor bEnc = at::randn({kWidth}, at::kDouble);
    const at::Tensor bDec = at::randn({kIn});
    const at::Tensor threshold = at::rand({kWidth}) + 1;
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("gemma-scope-2b-pt-res/layer_3/width_32k"));
    QVERIFY(QDir().mkpath(folder));
    const QString path = QDir(folder).filePath(QStringLiteral("params.npz"));
    writeNpz(path, {{QStringLiteral("W_enc"), npyBytes("<f4", {kIn, kWidth}, rawBytes(wEnc))},
                    {QStringLiteral("W_dec"), npyBytes("<f2", {kWidth, kIn}, rawBytes(wDec))},
                    {QStringLiteral("b_enc"), npyBytes("<f8", {kWidth}, rawBytes(bEnc))},
                    {QStringLiteral("b_dec"), npyBytes("<f4", {kIn}, rawBytes(bDec))},
                    {QStringLiteral("threshold"), npyBytes("<f4", {kWidth}, rawBytes(threshold))}});

    // Copied a slice at a time (1 MiB of float32, not whole pages of the file), the mapping's
    // pages are let go as they go: the file pages held afterwards are a slice and a few more,
    // not the array's 32 MiB; without letting go they are all held (the measure sees them).
    auto archive = NpzArchive::open(path);
    QVERIFY2(archive, qPrintable(archive.status().message()));
    const NpyEntry *encoder = archive->entry(QStringLiteral("W_enc"));
    QVERIFY(encoder);
    QCOMPARE(encoder->shape, (QVector<qint64>{kIn, kWidth}));
    std::vector<float> copy(size_t(kIn * kWidth));
    for (const bool release : {true, false}) {
        const qint64 before = processStatusBytes("RssFile");
        constexpr qint64 kSlice = (qint64(1) << 18) + 5;
        for (qint64 begin = 0; begin < encoder->count; begin += kSlice) {
            archive->copyValues(*encoder, begin, std::min(kSlice, encoder->count - begin),
                                copy.data() + begin, release);
        }
        const qint64 gained = processStatusBytes("RssFile") - before;
        QVERIFY2(release ? gained < 4 << 20 : gained > 24 << 20,
                 qPrintable(QString::number(gained)));
        QVERIFY(std::memcmp(copy.data(), wEnc.data_ptr<float>(), copy.size() * 4) == 0);
    }

    // The loader: every array as stored, converted to float32 (float16 and float64 too).
    auto loaded = loadGemmaScope(path, QStringLiteral("cpu"));
    QVERIFY2(loaded, qPrintable(loaded.status().message()));
    const SaeWeights &w = loaded.value()->weights();
    QCOMPARE(loaded.value()->config().hookName, QStringLiteral("blocks.3.hook_resid_post"));
    QVERIFY(at::equal(w.wEnc, wEnc));
    QVERIFY(at::equal(w.wDec, wDec.to(at::kFloat)));
    QVERIFY(at::equal(w.bEnc, bEnc.to(at::kFloat)));
    QVERIFY(at::equal(w.bDec, bDec));
    QVERIFY(at::equal(w.threshold, threshold));
}

void TestSaeWide::wideMatrixIsCheckedForNaNToItsLastColumn()
{
    // W_enc [64, 70,000]: 4.5M entries, checked in blocks of columns (its rows are few).
    SaeConfig config;
    config.architecture = SaeArchitecture::Relu;
    config.dIn = 64;
    config.dSae = 70000;
    config.hookName = QStringLiteral("blocks.0.hook_resid_post");
    SaeWeights w;
    w.wEnc = at::zeros({64, 70000}, at::kBFloat16);
    w.bEnc = at::zeros({70000});
    w.wDec = at::zeros({70000, 64}, at::kBFloat16);
    w.bDec = at::zeros({64});
    SaeModule module(config, w);
    QVERIFY(module.validate().isEmpty());
    const std::vector<std::pair<int64_t, int64_t>> spots = {{63, 69999}, {0, 0}, {31, 40000}};
    for (const auto &[row, column] : spots) {
        module.mutableWeights().wEnc.index_put_({row, column}, NAN);
        const QString problem = module.validate();
        QVERIFY2(problem.startsWith(QLatin1String("tensor 'W_enc' holds NaN")),
                 qPrintable(problem));
        module.mutableWeights().wEnc.index_put_({row, column}, 0.0);
    }
    module.mutableWeights().wDec.index_put_({69999, 63}, INFINITY);
    QVERIFY(module.validate().startsWith(QLatin1String("tensor 'W_dec' holds NaN or infinite")));
}

void TestSaeWide::decoderNormsFoldInPlaceInBlocksLikeFloat64()
{
    // 10,000 decoder rows: the norms and the updates go in several blocks of rows.
    at::manual_seed(11);
    const int64_t d = 48;
    const int64_t n = 10000;
    SaeWeights w;
    w.wEnc = at::randn({d, n});
    w.bEnc = at::randn({n});
    w.wDec = at::randn({n, d}) * at::rand({n, 1});
    w.wDec[17].zero_();  // a dead latent keeps its row
    w.bDec = at::randn({d});
    w.threshold = at::rand({n});
    for (const at::ScalarType type : {at::kFloat, at::kBFloat16}) {
        SaeWeights folded;  // copies: the fold works in place
        folded.wEnc = w.wEnc.to(type).clone();
        folded.wDec = w.wDec.to(type).clone();
        folded.bEnc = w.bEnc.clone();
        folded.bDec = w.bDec.clone();
        folded.threshold = w.threshold.clone();
        // The norms of the decoder as stored (bf16-rounded in the bf16 case).
        const at::Tensor norms64 = folded.wDec.to(at::kDouble).norm(2, {1});
        const at::Tensor safe64 = at::where(norms64 > 0, norms64, at::ones_like(norms64));
        const at::Tensor encoder64 = folded.wEnc.to(at::kDouble) * safe64.unsqueeze(0);
        const at::Tensor decoder64 = folded.wDec.to(at::kDouble) / safe64.unsqueeze(1);
        foldDecoderNormsInPlace(folded);
        // float32: a few float32 roundings; bf16: one bf16 rounding of the float32 product.
        const double tolerance = type == at::kFloat ? 1e-6 : 1.0 / 128;
        const auto relative = [](const at::Tensor &got, const at::Tensor &want) {
            return ((got.to(at::kDouble) - want).abs() / want.abs().clamp_min(1e-30))
                    .max()
                    .item<double>();
        };
        QVERIFY2(relative(folded.wEnc, encoder64) <= tolerance,
                 qPrintable(QString::number(relative(folded.wEnc, encoder64))));
        QVERIFY(relative(folded.wDec.narrow(0, 18, n - 18), decoder64.narrow(0, 18, n - 18)) <=
                tolerance);
        QVERIFY(at::equal(folded.wDec[17], at::zeros({d}, type)));
        QVERIFY(relative(folded.bEnc, w.bEnc.to(at::kDouble) * safe64) <= 1e-6);
        QVERIFY(relative(folded.threshold, w.threshold.to(at::kDouble) * safe64) <= 1e-6);
    }
}

QTEST_APPLESS_MAIN(TestSaeWide)
#include "tst_sae_wide.moc"
