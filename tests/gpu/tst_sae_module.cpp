// The SAE forward pass and its hand-written gradients, each checked against an independent
// reference: inference against the formulas written out with plain tensor operations, and every
// gradient against autograd applied to a direct transcription of the loss (straight-through
// estimators expressed as value-preserving surrogates).

#include "gpu/sae/sae_module.h"
#include "gpu/sae/training/sae_objective.h"

#include <QTest>

#include <ATen/ATen.h>

using gyrus::SaeArchitecture;
using gyrus::SaeConfig;
using namespace gyrus::gpu;
using namespace gyrus::gpu::detail;

namespace {

constexpr int64_t kD = 12;
constexpr int64_t kN = 40;
constexpr int64_t kB = 16;

SaeModule makeModule(SaeArchitecture architecture, bool applyBDec, uint64_t seed)
{
    at::manual_seed(seed);
    SaeConfig config;
    config.architecture = architecture;
    config.dIn = kD;
    config.dSae = kN;
    config.k = 4;
    config.applyBDecToInput = applyBDec;
    SaeWeights w;
    w.wEnc = at::randn({kD, kN}) * 0.5;
    w.bEnc = at::randn({kN}) * 0.1;
    w.wDec = at::randn({kN, kD}) * 0.3;
    w.bDec = at::randn({kD}) * 0.2;
    if (architecture == SaeArchitecture::JumpRelu || architecture == SaeArchitecture::BatchTopK) {
        w.threshold = at::rand({kN}) * 0.5 + 0.05;
    }
    return SaeModule(config, w);
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

// Autograd reference of the training loss; returns the total loss with gradients populated on
// the leaf tensors in `leaves` (W_enc, b_enc, W_dec, b_dec, log θ).
at::Tensor referenceLoss(const SaeModule &module, const at::Tensor &x, const SaeLossSettings &s,
                         std::vector<at::Tensor> &leaves)
{
    const SaeWeights &w = module.weights();
    leaves = {w.wEnc.clone().set_requires_grad(true), w.bEnc.clone().set_requires_grad(true),
              w.wDec.clone().set_requires_grad(true), w.bDec.clone().set_requires_grad(true)};
    const at::Tensor wEnc = leaves[0];
    const at::Tensor bEnc = leaves[1];
    const at::Tensor wDec = leaves[2];
    const at::Tensor bDec = leaves[3];
    const SaeConfig &c = module.config();
    const at::Tensor input = c.applyBDecToInput ? x - bDec : x;
    const at::Tensor pre = at::matmul(input, wEnc) + bEnc;
    at::Tensor f;
    at::Tensor loss;
    const double batch = static_cast<double>(x.size(0));
    switch (c.architecture) {
        case SaeArchitecture::Relu:
            f = at::relu(pre);
            break;
        case SaeArchitecture::TopK: {
            const at::Tensor r = at::relu(pre);
            const at::Tensor idx = std::get<1>(at::topk(r, c.k, 1));
            f = at::zeros_like(r).scatter(1, idx, r.gather(1, idx));
            break;
        }
        case SaeArchitecture::BatchTopK: {
            const at::Tensor r = at::relu(pre).reshape({-1});
            const at::Tensor idx = std::get<1>(at::topk(r, c.k * x.size(0), 0));
            f = at::zeros_like(r).scatter(0, idx, r.gather(0, idx)).view_as(pre);
            break;
        }
        case SaeArchitecture::JumpRelu: {
            const at::Tensor logTheta = w.threshold.log().clone().set_requires_grad(true);
            leaves.push_back(logTheta);
            const at::Tensor theta = logTheta.exp();
            const at::Tensor thetaD = theta.detach();
            const at::Tensor h = (pre.detach() > thetaD).to(at::kFloat);
            const at::Tensor kernel =
                    ((pre.detach() - thetaD).abs() < s.jumpReluBandwidth / 2).to(at::kFloat);
            // Value-preserving surrogates: (θ_d − θ) is zero, its derivative −1 gives the STE.
            f = pre * h + (thetaD - theta) * (thetaD / s.jumpReluBandwidth) * kernel;
            const at::Tensor step = h + (thetaD - theta) / s.jumpReluBandwidth * kernel;
            loss = s.sparsityCoefficient * step.sum(1).mean();
            break;
        }
    }
    const at::Tensor xHat = at::matmul(f, wDec) + bDec;
    at::Tensor total = (xHat - x).pow(2).sum(1).mean();
    if (loss.defined()) {
        total = total + loss;
    }
    if (c.architecture == SaeArchitecture::Relu) {
        total = total + s.sparsityCoefficient * (f * wDec.norm(2, {1})).sum(1).mean();
    }
    if (s.deadMask.defined() && s.deadMask.any().item<bool>()) {
        const at::Tensor masked = at::relu(pre).masked_fill(s.deadMask.logical_not(), -1.0);
        const int64_t kAux = std::min<int64_t>(s.kAux, s.deadMask.sum().item<int64_t>());
        const at::Tensor idx = std::get<1>(at::topk(masked, kAux, 1));
        const at::Tensor z = at::zeros_like(pre).scatter(1, idx, at::relu(pre).gather(1, idx));
        const at::Tensor e = (x - xHat).detach();
        const at::Tensor variance = (e - e.mean(0)).pow(2).sum(1).mean();
        total = total +
                s.auxKCoefficient * (at::matmul(z, wDec) - e).pow(2).sum(1).mean() / variance;
    }
    (void)batch;
    total.backward();
    return total;
}

}  // namespace

class TestSaeModule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeMatchesFormulas_data();
    void encodeMatchesFormulas();
    void gradientsMatchAutograd_data();
    void gradientsMatchAutograd();
    void topKKeepsKPerToken();
    void batchTopKKeepsKTimesBatch();
    void foldsPreserveTheFunction();
    void validateNamesTheTensor();
};

void TestSaeModule::encodeMatchesFormulas_data()
{
    QTest::addColumn<int>("architecture");
    QTest::addColumn<bool>("applyBDec");
    QTest::newRow("relu") << int(SaeArchitecture::Relu) << false;
    QTest::newRow("relu-bdec") << int(SaeArchitecture::Relu) << true;
    QTest::newRow("topk") << int(SaeArchitecture::TopK) << true;
    QTest::newRow("jumprelu") << int(SaeArchitecture::JumpRelu) << false;
    QTest::newRow("batchtopk") << int(SaeArchitecture::BatchTopK) << true;
}

void TestSaeModule::encodeMatchesFormulas()
{
    QFETCH(int, architecture);
    QFETCH(bool, applyBDec);
    const SaeModule module = makeModule(SaeArchitecture(architecture), applyBDec, 7);
    const SaeWeights &w = module.weights();
    const at::Tensor x = at::randn({kB, kD});
    // Element by element, with no matrix products, so the reference shares nothing with encode.
    at::Tensor expected = at::zeros({kB, kN});
    auto xa = x.accessor<float, 2>();
    auto we = w.wEnc.accessor<float, 2>();
    auto be = w.bEnc.accessor<float, 1>();
    auto bd = w.bDec.accessor<float, 1>();
    for (int64_t b = 0; b < kB; ++b) {
        std::vector<std::pair<float, int64_t>> row;
        for (int64_t i = 0; i < kN; ++i) {
            double pre = be[i];
            for (int64_t j = 0; j < kD; ++j) {
                pre += (xa[b][j] - (applyBDec ? bd[j] : 0.0f)) * we[j][i];
            }
            float value = 0;
            if (SaeArchitecture(architecture) == SaeArchitecture::Relu ||
                SaeArchitecture(architecture) == SaeArchitecture::TopK) {
                value = pre > 0 ? float(pre) : 0.0f;
            } else {
                value = pre > w.threshold[i].item<float>() ? float(pre) : 0.0f;
            }
            row.emplace_back(value, i);
        }
        if (SaeArchitecture(architecture) == SaeArchitecture::TopK) {
            std::sort(row.begin(), row.end(), [](auto a, auto c) { return a.first > c.first; });
            row.resize(4);
        }
        for (const auto &[value, i] : row) {
            expected[b][i] = value;
        }
    }
    QVERIFY(maxDifference(module.encode(x), expected) < 1e-4);
    const at::Tensor f = module.encode(x);
    QVERIFY(maxDifference(module.decode(f), at::matmul(f, w.wDec) + w.bDec) < 1e-5);
    const auto [values, indices] = module.encodeTopK(x, 3);
    QVERIFY(maxDifference(values, std::get<0>(at::topk(expected, 3, 1))) < 1e-4);
    QCOMPARE(indices.size(1), int64_t(3));
}

void TestSaeModule::gradientsMatchAutograd_data()
{
    QTest::addColumn<int>("architecture");
    QTest::addColumn<bool>("applyBDec");
    QTest::addColumn<bool>("withDead");
    QTest::newRow("relu") << int(SaeArchitecture::Relu) << false << false;
    QTest::newRow("relu-bdec") << int(SaeArchitecture::Relu) << true << false;
    QTest::newRow("topk") << int(SaeArchitecture::TopK) << true << false;
    QTest::newRow("topk-auxk") << int(SaeArchitecture::TopK) << true << true;
    QTest::newRow("batchtopk-auxk") << int(SaeArchitecture::BatchTopK) << true << true;
    QTest::newRow("jumprelu") << int(SaeArchitecture::JumpRelu) << true << false;
}

void TestSaeModule::gradientsMatchAutograd()
{
    QFETCH(int, architecture);
    QFETCH(bool, applyBDec);
    QFETCH(bool, withDead);
    const SaeModule module = makeModule(SaeArchitecture(architecture), applyBDec, 11);
    const at::Tensor x = at::randn({kB, kD}) * 2.0;
    SaeLossSettings settings;
    settings.sparsityCoefficient = 0.3;
    settings.auxKCoefficient = 0.5;
    settings.kAux = 3;
    // A wide bandwidth so that many pre-activations fall inside the kernel.
    settings.jumpReluBandwidth = 0.8;
    if (withDead) {
        settings.deadMask = at::rand({kN}) < 0.4;
    }
    const SaeStepResult result = saeForwardBackward(module, x, settings, true);
    std::vector<at::Tensor> leaves;
    const at::Tensor total = referenceLoss(module, x, settings, leaves);
    QVERIFY2(std::abs(result.loss.total.item<double>() - total.item<double>()) <
                     1e-4 * std::max(1.0, std::abs(total.item<double>())),
             qPrintable(QStringLiteral("loss %1 vs %2")
                                .arg(result.loss.total.item<double>())
                                .arg(total.item<double>())));
    const std::vector<at::Tensor> ours = {result.gradients.wEnc, result.gradients.bEnc,
                                          result.gradients.wDec, result.gradients.bDec,
                                          result.gradients.logThreshold};
    const char *names[] = {"W_enc", "b_enc", "W_dec", "b_dec", "log_threshold"};
    for (size_t i = 0; i < leaves.size(); ++i) {
        const at::Tensor expected = leaves[i].grad();
        QVERIFY2(ours[i].defined(), names[i]);
        const double error = maxDifference(ours[i], expected);
        const double scale = std::max(1e-3, expected.abs().max().item<double>());
        QVERIFY2(error / scale < 1e-4, qPrintable(QStringLiteral("%1: max error %2 (scale %3)")
                                                          .arg(QLatin1String(names[i]))
                                                          .arg(error)
                                                          .arg(scale)));
    }
    if (SaeArchitecture(architecture) == SaeArchitecture::JumpRelu) {
        // The threshold gradient must not be trivially zero in this set-up.
        QVERIFY(result.gradients.logThreshold.abs().max().item<double>() > 1e-3);
    }
    if (withDead) {
        QVERIFY(result.loss.auxK.item<double>() > 0);
    }
}

void TestSaeModule::topKKeepsKPerToken()
{
    const SaeModule module = makeModule(SaeArchitecture::TopK, true, 3);
    const at::Tensor x = at::randn({kB, kD}) * 3.0;
    const SaeStepResult r = saeForwardBackward(module, x, {}, false);
    QVERIFY(r.loss.l0.item<double>() <= 4.0 + 1e-6);
    QVERIFY(r.loss.l0.item<double>() > 3.0);
}

void TestSaeModule::batchTopKKeepsKTimesBatch()
{
    const SaeModule module = makeModule(SaeArchitecture::BatchTopK, true, 5);
    const at::Tensor x = at::randn({kB, kD}) * 3.0;
    const SaeStepResult r = saeForwardBackward(module, x, {}, false);
    // Exactly k·B activations survive (all pre-activations of this set-up have > k·B positives).
    QCOMPARE(r.loss.fired.sum().item<int64_t>(), int64_t(4 * kB));
    // The running-threshold input is the smallest kept value: every kept value is >= it.
    const at::Tensor pre = module.preActivations(x);
    const int64_t above = (pre >= r.loss.batchTopKMin).sum().item<int64_t>();
    QCOMPARE(above, int64_t(4 * kB));
}

void TestSaeModule::foldsPreserveTheFunction()
{
    const at::Tensor x = at::randn({kB, kD});
    for (const SaeArchitecture architecture : {SaeArchitecture::Relu, SaeArchitecture::JumpRelu}) {
        const SaeModule module = makeModule(architecture, true, 9);
        const double s = 3.5;
        const SaeModule scaled = module.foldInputScale(s);
        // scaled(x_raw) == module(s·x_raw)/s, same features.
        QVERIFY(maxDifference(scaled.encode(x), module.encode(x * s)) < 1e-4);
        QVERIFY(maxDifference(scaled.reconstruct(x), module.reconstruct(x * s) / s) < 1e-4);
        const SaeModule unit = module.foldDecoderNorms();
        QVERIFY(maxDifference(unit.weights().wDec.norm(2, {1}), at::ones({kN})) < 1e-5);
        QVERIFY(maxDifference(unit.reconstruct(x), module.reconstruct(x)) < 1e-4);
        QVERIFY(maxDifference(unit.encode(x),
                              module.encode(x) * module.weights().wDec.norm(2, {1})) < 1e-4);
    }
}

void TestSaeModule::validateNamesTheTensor()
{
    SaeModule module = makeModule(SaeArchitecture::JumpRelu, false, 1);
    QVERIFY(module.validate().isEmpty());
    module.mutableWeights().wDec = at::zeros({kN, kD + 1});
    QVERIFY(module.validate().contains(QLatin1String("W_dec")));
    module = makeModule(SaeArchitecture::JumpRelu, false, 1);
    module.mutableWeights().threshold = at::Tensor();
    QVERIFY(module.validate().contains(QLatin1String("threshold")));
    module = makeModule(SaeArchitecture::Relu, false, 1);
    module.mutableWeights().bEnc[3] = NAN;
    QVERIFY(module.validate().contains(QLatin1String("'b_enc' holds NaN")));
    QVERIFY2(module.validate().contains(QLatin1String("nan at [3]")),
             qPrintable(module.validate()));
}

QTEST_APPLESS_MAIN(TestSaeModule)
#include "tst_sae_module.moc"
