// SAEs on a CUDA device against the CPU (label cuda; built with GYRUS_WITH_CUDA_TESTS, skipped
// without a device): training steps from the same seed on the same batches, encoding the demo
// model's activations with the demo SAE, and the clamp splice's identity edit on the device.
// GYRUS_CUDA_TEST_DEVICE=cpu runs the same comparisons CPU against CPU (a dry run of the script
// on a machine without a GPU; the bounds then hold trivially).

#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "gpu/sae/steering/clamp_splice.h"
#include "gpu/sae/training/sae_trainer.h"
#include "tests/gpu/demo_modules.h"

#include <QtTest>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <memory>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

QString testDevice()
{
    return qEnvironmentVariable("GYRUS_CUDA_TEST_DEVICE", QStringLiteral("cuda:0"));
}

// Rows with a sparse structure an SAE can learn: sums of a few of 128 random directions.
at::Tensor syntheticRows(int64_t rows, int64_t d)
{
    const at::Generator generator = at::detail::createCPUGenerator(17);
    const at::Tensor dictionary = at::randn({128, d}, generator, at::kFloat);
    const at::Tensor codes = at::relu(at::randn({rows, 128}, generator, at::kFloat) - 1.5);
    return at::mm(codes, dictionary).contiguous();
}

struct Trained
{
    std::shared_ptr<gpu::detail::SaeModule> module;
    double loss = 0;
    double explainedVariance = 0;
};

Trained train(SaeArchitecture architecture, Dtype precision, const QString &device)
{
    SaeTrainingConfig config;
    config.sae.architecture = architecture;
    config.sae.dIn = 64;
    config.sae.dSae = 512;
    config.sae.k = 8;
    config.batchSize = 512;
    config.totalTokens = 512 * 30;
    config.seed = 3;
    config.device = device;
    config.precision = precision;
    config.metricsEverySteps = 30;
    Trained out;
    auto trainer =
            SaeTrainer::create(config, gpu::detail::makeTensorSource(syntheticRows(8192, 64), 5));
    if (!trainer) {
        qWarning("%s", qPrintable(trainer.status().message()));
        return out;
    }
    trainer.value()->setMetricsCallback([&](const SaeTrainMetrics &m) {
        out.loss = m.loss;
        out.explainedVariance = m.explainedVariance;
    });
    while (!trainer.value()->isFinished()) {
        if (const Status status = trainer.value()->step(100); !status.isOk()) {
            qWarning("%s", qPrintable(status.message()));
            return out;
        }
    }
    out.module = trainer.value()->exportModule();
    return out;
}

double maxRelativeDiff(const at::Tensor &a, const at::Tensor &b)
{
    const at::Tensor x = a.to(at::kCPU, at::kDouble);
    const at::Tensor y = b.to(at::kCPU, at::kDouble);
    return (x - y).abs().max().item<double>() / std::max(1e-12, y.abs().max().item<double>());
}

}  // namespace

class TestSaeCuda : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        if (testDevice().startsWith(QLatin1String("cuda")) && torch::cuda::device_count() == 0) {
            QSKIP("no CUDA device");
        }
        qInfo("device under test: %s", qPrintable(testDevice()));
    }

    void trainingStepsMatchTheCpu_data()
    {
        QTest::addColumn<int>("architecture");
        QTest::newRow("relu") << int(SaeArchitecture::Relu);
        QTest::newRow("topk") << int(SaeArchitecture::TopK);
        QTest::newRow("batchtopk") << int(SaeArchitecture::BatchTopK);
        QTest::newRow("jumprelu") << int(SaeArchitecture::JumpRelu);
    }

    // float32 on both: 30 steps from the same initialisation on the same batches.
    void trainingStepsMatchTheCpu()
    {
        QFETCH(int, architecture);
        const Trained cpu =
                train(SaeArchitecture(architecture), Dtype::Float32, QStringLiteral("cpu"));
        const Trained device = train(SaeArchitecture(architecture), Dtype::Float32, testDevice());
        QVERIFY(cpu.module && device.module);
        const double encoder =
                maxRelativeDiff(device.module->weights().wEnc, cpu.module->weights().wEnc);
        const double decoder =
                maxRelativeDiff(device.module->weights().wDec, cpu.module->weights().wDec);
        qInfo("loss %.6f vs %.6f, max relative weight difference enc %.3g dec %.3g", device.loss,
              cpu.loss, encoder, decoder);
        QVERIFY2(encoder < 1e-3 && decoder < 1e-3, qPrintable(QString::number(encoder)));
        QVERIFY(std::abs(device.loss - cpu.loss) <= 1e-3 * std::abs(cpu.loss));
    }

    // bf16 matmuls with float32 master weights on the device: close to float32's outcome.
    void bf16TrainingStaysCloseToFloat32()
    {
        const Trained fp32 = train(SaeArchitecture::TopK, Dtype::Float32, testDevice());
        const Trained bf16 = train(SaeArchitecture::TopK, Dtype::BFloat16, testDevice());
        QVERIFY(fp32.module && bf16.module);
        QCOMPARE(bf16.module->weights().wEnc.scalar_type(), at::kFloat);
        qInfo("EV fp32 %.4f bf16 %.4f; loss fp32 %.5f bf16 %.5f", fp32.explainedVariance,
              bf16.explainedVariance, fp32.loss, bf16.loss);
        QVERIFY(std::abs(bf16.explainedVariance - fp32.explainedVariance) < 0.02);
        QVERIFY(std::abs(bf16.loss - fp32.loss) < 0.05 * std::abs(fp32.loss));
    }

    // The demo SAE on the demo model's activations: the same features on the device.
    void encodingMatchesTheCpu()
    {
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        const std::unique_ptr<LanguageModel> &model = demo.value().model;
        const std::shared_ptr<gpu::detail::SaeModule> &cpuSae = demo.value().sae;
        auto deviceSae = test::loadDemoSae(testDevice());
        QVERIFY2(deviceSae, qPrintable(deviceSae.status().message()));
        const std::vector<int> tokens =
                model->encode(QStringLiteral("The jury said that the city")).value();
        ForwardOptions options;
        options.captures = {cpuSae->config().hookName};
        auto out = model->forward(tokens, options);
        QVERIFY(out.isOk());
        const FloatTensor &a = out->activations.at(options.captures.front());
        const at::Tensor x = at::tensor(a.values).view({a.shape[0], a.shape[1]});
        const at::Tensor onCpu = cpuSae->encode(x);
        const at::Tensor onDevice =
                deviceSae.value()->encode(x.to(deviceSae.value()->weights().wEnc.device()));
        const double difference = maxRelativeDiff(onDevice, onCpu);
        qInfo("encode: max relative difference %.3g", difference);
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
    }

    // Scale 1 on the strongest feature: the splice replaces the hook's activation by its own
    // reconstruction plus the error term, so the logits stay as they were.
    void clampSpliceIdentityOnTheDevice()
    {
        auto demo = test::loadDemoModules(test::DemoParts::ModelAndSae, testDevice());
        QVERIFY2(demo, qPrintable(demo.status().message()));
        const std::unique_ptr<LanguageModel> &model = demo.value().model;
        const std::vector<int> tokens =
                model->encode(QStringLiteral("The jury said that the city")).value();
        std::vector<int64_t> ids(tokens.begin(), tokens.end());
        const at::Tensor input = at::tensor(ids, at::kLong).view({1, -1});
        gpu::detail::Transformer &transformer = model->tensorModel();
        const at::Tensor base = transformer.forward(input).to(at::kCPU, at::kFloat);
        ClampSet set;
        set.name = QStringLiteral("identity");
        FeatureClamp clamp;
        clamp.feature = 3;
        clamp.mode = ClampMode::Scale;
        clamp.value = 1.0;
        set.clamps = {clamp};
        gpu::detail::HookSet hooks;
        std::shared_ptr<const gpu::detail::SaeModule> module = demo.value().sae;
        QVERIFY(gpu::detail::addClampSplice(hooks, model->config().numHiddenLayers, module, set, {})
                        .isOk());
        const at::Tensor spliced = transformer.forward(input, &hooks).to(at::kCPU, at::kFloat);
        const double worst = (spliced - base).abs().max().item<double>();
        qInfo("identity clamp on %s: max |Δlogit| = %g", qPrintable(testDevice()), worst);
        QVERIFY2(worst <= 1e-4, qPrintable(QString::number(worst)));
    }
};

QTEST_GUILESS_MAIN(TestSaeCuda)
#include "tst_sae_cuda.moc"
