// SAE training on synthetic data with a known sparse dictionary (256 unit directions in d = 64,
// 3–5 active per sample, positive Gaussian magnitudes): every architecture must recover the
// dictionary (mean over true directions of the best cosine with a learned decoder row >= 0.9).
// Also: the LR and λ schedules and gradient clipping read back from the optimiser state, and a
// checkpoint/resume that reproduces an uninterrupted run bit for bit.

#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/training/sae_objective.h"
#include "gpu/sae/training/sae_trainer.h"
#include "gpu/sae/training/sae_trainer_state.h"
#include "tests/support/file_size_limit.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cerrno>
#include <cstring>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int64_t kDim = 64;
constexpr int64_t kTrue = 256;

struct Synthetic
{
    at::Tensor dictionary;  // [kTrue, kDim], unit rows
    at::Tensor samples;     // [N, kDim]
};

Synthetic makeSynthetic(int64_t samples, uint64_t seed)
{
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
    Synthetic s;
    s.dictionary = at::randn({kTrue, kDim}, g);
    s.dictionary = s.dictionary / s.dictionary.norm(2, {1}, true);
    const at::Tensor active = at::randint(3, 6, {samples, 1}, g);  // 3..5 per sample
    const at::Tensor chosen = std::get<1>(at::rand({samples, kTrue}, g).sort(1)).narrow(1, 0, 5);
    const at::Tensor magnitude = (at::randn({samples, 5}, g) * 0.3 + 1.0).abs();
    const at::Tensor keep = at::arange(5).unsqueeze(0) < active;
    const at::Tensor codes = at::zeros({samples, kTrue}).scatter_(1, chosen, magnitude * keep);
    s.samples = at::matmul(codes, s.dictionary);
    return s;
}

const Synthetic &synthetic()
{
    static const Synthetic data = makeSynthetic(16384, 1234);
    return data;
}

// For each true direction, the best cosine with any learned decoder row; averaged.
double meanMaxCosine(const at::Tensor &decoder, const at::Tensor &truth)
{
    const at::Tensor learned = decoder / decoder.norm(2, {1}, true).clamp_min(1e-12);
    return at::matmul(truth, learned.t()).amax(1).mean().item<double>();
}

SaeTrainingConfig baseConfig(SaeArchitecture architecture)
{
    SaeTrainingConfig c;
    c.sae.architecture = architecture;
    c.sae.dIn = kDim;
    c.sae.dSae = 512;
    c.sae.k = 5;
    c.batchSize = 256;
    c.totalTokens = 256 * 1000;
    c.learningRate = 3e-3;
    c.l1Coefficient = 2.0;
    c.l0Coefficient = 0.5;
    c.seed = 42;
    c.metricsEverySteps = 100;
    return c;
}

}  // namespace

class TestSaeTraining : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void recoversTheDictionary_data();
    void recoversTheDictionary();
    void schedulesAndClippingReachTheOptimiser();
    void resumeReproducesAnUninterruptedRun();
    void checkpointOnAFullDiskKeepsTheOldOne();
    void rejectsBadConfigurations();
    void metricsLogAndCancel();
};

void TestSaeTraining::initTestCase()
{
    // These problems are small: one thread is as fast, and avoids OpenMP spin-waits when the
    // machine is shared (20x slower runs were seen with 2 threads under load).
    at::set_num_threads(1);
}

void TestSaeTraining::recoversTheDictionary_data()
{
    QTest::addColumn<int>("architecture");
    QTest::newRow("relu") << int(SaeArchitecture::Relu);
    QTest::newRow("topk") << int(SaeArchitecture::TopK);
    QTest::newRow("batchtopk") << int(SaeArchitecture::BatchTopK);
    QTest::newRow("jumprelu") << int(SaeArchitecture::JumpRelu);
}

void TestSaeTraining::recoversTheDictionary()
{
    QFETCH(int, architecture);
    const Synthetic &data = synthetic();
    SaeTrainingConfig config = baseConfig(SaeArchitecture(architecture));
    if (qEnvironmentVariableIsSet("SAE_STEPS")) {
        config.totalTokens = config.batchSize * qEnvironmentVariableIntValue("SAE_STEPS");
    }
    if (qEnvironmentVariableIsSet("SAE_LR")) {
        config.learningRate = qEnvironmentVariable("SAE_LR").toDouble();
    }
    if (qEnvironmentVariableIsSet("SAE_L1")) {
        config.l1Coefficient = qEnvironmentVariable("SAE_L1").toDouble();
        config.l0Coefficient = qEnvironmentVariable("SAE_L1").toDouble();
    }
    Result<std::unique_ptr<SaeTrainer>> trainer =
            SaeTrainer::create(config, gpu::detail::makeTensorSource(data.samples, 7));
    QVERIFY2(trainer.isOk(), qPrintable(trainer.status().message()));
    SaeTrainMetrics metrics;
    trainer.value()->setMetricsCallback([&](const SaeTrainMetrics &m) {
        metrics = m;
        if (qEnvironmentVariableIsSet("SAE_VERBOSE")) {
            qInfo("step %lld loss %.4f ev %.4f l0 %.2f dead %.3f lr %.2g lambda %.3g",
                  (long long)m.step, m.loss, m.explainedVariance, m.l0, m.deadFraction,
                  m.learningRate, m.sparsityCoefficient);
        }
    });
    while (!trainer.value()->isFinished()) {
        const Status status = trainer.value()->step(200);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
    }
    const auto module = trainer.value()->exportModule();
    const double mmcs = meanMaxCosine(module->weights().wDec, data.dictionary);
    qInfo("%s: mean max cosine %.4f, EV %.4f, L0 %.2f, dead %.3f",
          qPrintable(nameOf(SaeArchitecture(architecture))), mmcs, metrics.explainedVariance,
          metrics.l0, metrics.deadFraction);
    QVERIFY2(mmcs >= 0.9, qPrintable(QString::number(mmcs)));
    QVERIFY(metrics.explainedVariance > 0.8);
    // The exported module works on raw inputs: its reconstructions explain the data too.
    const at::Tensor x = data.samples.narrow(0, 0, 2048);
    const at::Tensor residual = module->reconstruct(x) - x;
    const double fvu =
            residual.square().sum().item<double>() / (x - x.mean(0)).square().sum().item<double>();
    QVERIFY2(fvu < 0.25, qPrintable(QString::number(fvu)));
    if (SaeArchitecture(architecture) == SaeArchitecture::BatchTopK) {
        // At inference the learned threshold replaces the batch selection: L0 stays near k.
        const double l0 = (module->encode(x) > 0).sum(1).to(at::kFloat).mean().item<double>();
        QVERIFY2(l0 > 0.5 * config.sae.k && l0 < 2.0 * config.sae.k,
                 qPrintable(QString::number(l0)));
    }
}

void TestSaeTraining::schedulesAndClippingReachTheOptimiser()
{
    SaeTrainingConfig config = baseConfig(SaeArchitecture::Relu);
    config.totalTokens = 256 * 100;  // 100 steps
    config.warmupFraction = 0.1;     // steps 0..9
    config.decayFraction = 0.2;      // steps 80..99
    config.sparsityWarmupFraction = 0.05;
    config.l1Coefficient = 2.0;
    config.gradientClip = 0.05;  // small enough to bind on every step here
    config.learningRate = 1e-3;
    Result<std::unique_ptr<SaeTrainer>> created =
            SaeTrainer::create(config, gpu::detail::makeTensorSource(synthetic().samples, 3));
    QVERIFY(created.isOk());
    SaeTrainer &trainer = *created.value();
    const gpu::detail::SaeTrainerState &state = trainer.state();
    // A twin of the trainer's source serves the same batches, so the test can compute the
    // gradient the step should have applied, with the λ the warm-up prescribes.
    auto twin = gpu::detail::makeTensorSource(synthetic().samples, 3);
    for (int64_t step = 0; step < 100; ++step) {
        const gpu::detail::SaeModule moduleBefore = state.module.clone();
        const at::Tensor x = twin->next(256).value() * state.inputScale;
        gpu::detail::SaeLossSettings settings;
        settings.sparsityCoefficient = 2.0 * std::min(1.0, step / 5.0);
        const gpu::detail::SaeGradients expected =
                gpu::detail::saeForwardBackward(moduleBefore, x, settings, true).gradients;
        const std::vector<at::Tensor> expectedGrads = {expected.wEnc, expected.bEnc, expected.wDec,
                                                       expected.bDec};
        double expectedNorm = 0;
        for (const at::Tensor &g : expectedGrads) {
            expectedNorm += g.to(at::kDouble).square().sum().item<double>();
        }
        expectedNorm = std::sqrt(expectedNorm);
        const double clip = std::min(1.0, 0.05 / (expectedNorm + 1e-6));
        // Parameters and moments before the step (copies).
        std::vector<at::Tensor> before;
        std::vector<at::Tensor> m0;
        std::vector<at::Tensor> v0;
        for (size_t i = 0; i < state.parameters().size(); ++i) {
            before.push_back(state.parameters()[i].clone());
            m0.push_back(state.adamFirstMoment[i].clone());
            v0.push_back(state.adamSecondMoment[i].clone());
        }
        QVERIFY(trainer.step(1).isOk());
        const SaeStepDiagnostics d = trainer.lastStep();
        QCOMPARE(d.step, step);
        const double expectedLr = step < 10    ? 1e-3 * (step + 1) / 10.0
                                  : step >= 80 ? 1e-3 * (100 - step) / 20.0
                                               : 1e-3;
        QVERIFY(qAbs(d.learningRate - expectedLr) < 1e-12);
        QVERIFY(qAbs(d.sparsityCoefficient - 2.0 * std::min(1.0, step / 5.0)) < 1e-12);
        // The gradient Adam saw, recovered from its first moment: g = (m1 − β1·m0)/(1 − β1).
        double squared = 0;
        for (size_t i = 0; i < before.size(); ++i) {
            const at::Tensor g = (state.adamFirstMoment[i] - 0.9 * m0[i]) / 0.1;
            squared += g.to(at::kDouble).square().sum().item<double>();
        }
        const double seen = std::sqrt(squared);
        // ... equals the clipped gradient of the loss with this step's λ, entry by entry.
        for (size_t i = 0; i < before.size(); ++i) {
            const at::Tensor g = (state.adamFirstMoment[i] - 0.9 * m0[i]) / 0.1;
            const double error = (g - expectedGrads[i] * clip).abs().max().item<double>();
            QVERIFY2(error < 1e-4 * 0.05,
                     qPrintable(
                             QStringLiteral("step %1, %2: error %3").arg(step).arg(i).arg(error)));
        }
        QVERIFY(qAbs(d.gradientNormBeforeClip - expectedNorm) < 1e-4 * expectedNorm);
        QVERIFY2(qAbs(seen - std::min(d.gradientNormBeforeClip, 0.05)) < 1e-3 * 0.05,
                 qPrintable(QStringLiteral("step %1: Adam saw |g| = %2, raw %3")
                                    .arg(step)
                                    .arg(seen)
                                    .arg(d.gradientNormBeforeClip)));
        // The learning rate Adam applied: Δp = −lr·m̂/(√v̂ + ε) on W_enc.
        const double t = static_cast<double>(state.adamSteps);
        const at::Tensor mHat = state.adamFirstMoment[0] / (1 - std::pow(0.9, t));
        const at::Tensor vHat = state.adamSecondMoment[0] / (1 - std::pow(0.999, t));
        const at::Tensor direction = mHat / (vHat.sqrt() + 1e-8);
        const at::Tensor delta = before[0] - state.parameters()[0];
        const double applied =
                (delta * direction).sum().item<double>() / direction.square().sum().item<double>();
        QVERIFY2(qAbs(applied - expectedLr) < 1e-3 * expectedLr + 1e-9,
                 qPrintable(QStringLiteral("step %1: applied lr %2, expected %3")
                                    .arg(step)
                                    .arg(applied)
                                    .arg(expectedLr)));
    }
    QVERIFY(trainer.isFinished());
}

void TestSaeTraining::resumeReproducesAnUninterruptedRun()
{
    for (const SaeArchitecture architecture :
         {SaeArchitecture::Relu, SaeArchitecture::BatchTopK, SaeArchitecture::JumpRelu}) {
        SaeTrainingConfig config = baseConfig(architecture);
        config.totalTokens = 256 * 60;
        config.metricsEverySteps = 7;
        config.deadWindowTokens = 256 * 5;  // so AuxK and the dead counters take part
        const at::Tensor data = synthetic().samples.narrow(0, 0, 4000);
        auto straight = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 5));
        QVERIFY(straight.isOk());
        QVERIFY(straight.value()->step(1000).isOk());

        QTemporaryDir dir;
        auto first = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 5));
        QVERIFY(first.isOk());
        QVERIFY(first.value()->step(23).isOk());
        QVERIFY(first.value()->saveCheckpoint(dir.path()).isOk());
        first.value().reset();
        auto resumed = SaeTrainer::resume(dir.path(), gpu::detail::makeTensorSource(data, 5));
        QVERIFY2(resumed.isOk(), qPrintable(resumed.status().message()));
        QCOMPARE(resumed.value()->stepsDone(), int64_t(23));
        QVERIFY(resumed.value()->step(1000).isOk());
        QVERIFY(resumed.value()->isFinished());

        const auto &a = straight.value()->state();
        const auto &b = resumed.value()->state();
        for (size_t i = 0; i < a.parameters().size(); ++i) {
            QVERIFY2(at::equal(a.parameters()[i], b.parameters()[i]), a.parameterNames[i].c_str());
            QVERIFY(at::equal(a.adamSecondMoment[i], b.adamSecondMoment[i]));
        }
        QVERIFY(at::equal(a.tokensSinceFired, b.tokensSinceFired));
        QCOMPARE(straight.value()->latestMetrics().loss, resumed.value()->latestMetrics().loss);
        QCOMPARE(straight.value()->latestMetrics().deadFraction,
                 resumed.value()->latestMetrics().deadFraction);
    }
}

// A checkpoint written when the disk is full (the file-size limit stands in for it) fails with a
// message naming the file and the reason, leaves the previous checkpoint byte for byte and no
// partial file beside it, and that previous checkpoint still resumes.
void TestSaeTraining::checkpointOnAFullDiskKeepsTheOldOne()
{
    const SaeTrainingConfig config = baseConfig(SaeArchitecture::TopK);
    const at::Tensor data = synthetic().samples.narrow(0, 0, 2000);
    auto trainer = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 5));
    QVERIFY(trainer.isOk());
    QVERIFY(trainer.value()->step(23).isOk());
    QTemporaryDir dir;
    QVERIFY(trainer.value()->saveCheckpoint(dir.path()).isOk());
    const QDir directory(dir.path());
    const QStringList files = directory.entryList(QDir::Files, QDir::Name);
    QVERIFY(!files.isEmpty());
    QMap<QString, QByteArray> before;
    for (const QString &name : files) {
        QFile file(directory.filePath(name));
        QVERIFY(file.open(QIODevice::ReadOnly));
        before.insert(name, file.readAll());
    }

    QVERIFY(trainer.value()->step(10).isOk());
    Status status;
    {
        // 64 x 512 float parameters and their two Adam moments: ~400 KB, far past 16 KiB.
        test::FileSizeLimit full(16 * 1024);
        status = trainer.value()->saveCheckpoint(dir.path());
    }
    QVERIFY(!status.isOk());
    QVERIFY2(status.message().contains(dir.path()), qPrintable(status.message()));
    QVERIFY2(status.message().contains(QString::fromLocal8Bit(std::strerror(EFBIG))),
             qPrintable(status.message()));
    QCOMPARE(directory.entryList(QDir::Files, QDir::Name), files);
    for (const QString &name : files) {
        QFile file(directory.filePath(name));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(file.readAll() == before.value(name), qPrintable(name));
    }
    auto resumed = SaeTrainer::resume(dir.path(), gpu::detail::makeTensorSource(data, 5));
    QVERIFY2(resumed.isOk(), qPrintable(resumed.status().message()));
    QCOMPARE(resumed.value()->stepsDone(), int64_t(23));
}

void TestSaeTraining::rejectsBadConfigurations()
{
    const at::Tensor data = synthetic().samples.narrow(0, 0, 512);
    SaeTrainingConfig config = baseConfig(SaeArchitecture::TopK);
    config.sae.dIn = 32;
    auto wrongWidth = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 1));
    QVERIFY(!wrongWidth.isOk());
    QVERIFY(wrongWidth.status().message().contains(QLatin1String("64 columns")));
    config = baseConfig(SaeArchitecture::TopK);
    config.sae.k = 0;
    QVERIFY(!SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 1)).isOk());
    config = baseConfig(SaeArchitecture::Relu);
    config.device = QStringLiteral("tpu");
    QVERIFY(!SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 1)).isOk());
    at::Tensor bad = data.clone();
    bad[3][5] = NAN;
    auto nanRun = SaeTrainer::create(baseConfig(SaeArchitecture::Relu),
                                     gpu::detail::makeTensorSource(bad, 1, /*shuffle=*/false));
    QVERIFY(!nanRun.isOk());
    QVERIFY(nanRun.status().message().contains(QLatin1String("non-finite")));
}

void TestSaeTraining::metricsLogAndCancel()
{
    QTemporaryDir dir;
    SaeTrainingConfig config = baseConfig(SaeArchitecture::TopK);
    config.totalTokens = 256 * 45;
    config.metricsEverySteps = 10;
    config.deadWindowTokens = 256 * 8;
    config.logPath = dir.filePath(QStringLiteral("log.jsonl"));
    auto trainer =
            SaeTrainer::create(config, gpu::detail::makeTensorSource(synthetic().samples, 9));
    QVERIFY(trainer.isOk());
    std::vector<SaeTrainMetrics> reports;
    trainer.value()->setMetricsCallback([&](const SaeTrainMetrics &m) { reports.push_back(m); });
    QVERIFY(trainer.value()->step(12).isOk());
    trainer.value()->cancel();
    QCOMPARE(trainer.value()->step(5).code(), Status::Code::Cancelled);
    QCOMPARE(trainer.value()->stepsDone(), int64_t(12));
    trainer.value()->clearCancel();
    QVERIFY(trainer.value()->step(100).isOk());
    QVERIFY(trainer.value()->isFinished());
    // Every 10 steps and after the last (45).
    QCOMPARE(reports.size(), size_t(5));
    QCOMPARE(reports.back().step, int64_t(45));
    for (const SaeTrainMetrics &m : reports) {
        int64_t latents = 0;
        for (const int64_t count : m.densityHistogram) {
            latents += count;
        }
        QCOMPARE(latents, int64_t(512));
        QVERIFY(std::abs(m.l0 - 5.0) < 1e-6);  // TopK: exactly k on this data
        QVERIFY(m.explainedVariance > -1 && m.explainedVariance < 1);
        QVERIFY(m.normalizedMse > 0 && m.mse > 0);
        QVERIFY(m.deadFraction >= 0 && m.deadFraction <= 1);
        QVERIFY(m.tokensPerSecond > 0);
    }
    // The dead fraction is the share of latents silent for the whole window.
    const at::Tensor silent = trainer.value()->state().tokensSinceFired >= 256 * 8;
    QCOMPARE(reports.back().deadFraction, silent.sum().item<double>() / 512.0);
    QVERIFY(reports.back().etaSeconds == 0);
    QFile log(config.logPath);
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = log.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    const QJsonObject last = QJsonDocument::fromJson(lines.back()).object();
    QCOMPARE(last[QStringLiteral("step")].toInt(), 45);
    QCOMPARE(last[QStringLiteral("log10_density_histogram")].toArray().size(), 20);
    for (const char *key :
         {"mse", "normalized_mse", "explained_variance", "l0", "l1", "dead_fraction",
          "dense_fraction", "tokens_per_second", "eta_seconds"}) {
        QVERIFY2(last.contains(QLatin1String(key)), key);
    }
}

QTEST_APPLESS_MAIN(TestSaeTraining)
#include "tst_sae_training.moc"
