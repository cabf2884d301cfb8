// Wide SAEs at a moderate size: a bf16 SAE file stays bf16 when loaded and encodes like the same
// weights in float32 within the bound that bf16 rounding allows; a batched encode never holds more
// rows than its memory budget allows and gives the codes of the dense encode; an edit reads only
// the features it needs.

#include "gpu/detail/decoder_geometry.h"
#include "gpu/detail/sae_folding.h"
#include "gpu/detail/sae_module.h"
#include "gpu/detail/safetensors_torch.h"
#include "gpu/sae/sae_io.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>

using gyrus::SaeArchitecture;
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

// A field of /proc/self/status in bytes ("RssFile": the mapped file pages this process holds).
qint64 procStatusBytes(const char *field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(field)) {
            const QList<QByteArray> parts = line.simplified().split(' ');
            return parts.size() >= 2 ? parts[1].toLongLong() * 1024 : -1;
        }
    }
    return -1;
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
    const qint64 filePagesBefore = procStatusBytes("RssFile");
    const at::Tensor copy =
            copyFromArchive(*archive, QStringLiteral("large"), at::kFloat, cpu, false, 1 << 20);
    const qint64 filePagesGained = procStatusBytes("RssFile") - filePagesBefore;
    QVERIFY2(filePagesGained < 4 << 20, qPrintable(QString::number(filePagesGained)));
    QVERIFY(at::equal(copy, large));
    // What was let go reads the same from the file again.
    QVERIFY(at::equal(tensorFromArchive(*archive, QStringLiteral("large")), large));
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
