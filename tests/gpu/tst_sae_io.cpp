// SAELens directories (written by numpy from the SAELens formulas: tests/data/sae/
// make_saelens_fixtures.py), the save/load round trip, the exported trainer output, evaluation
// metrics, and HDF5 activation files (float16 from h5py: make_activation_fixture.py).

#include "core/hdf5/hdf5_writer.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/activation_stream.h"
#include "gpu/sae/evaluation/sae_evaluation.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/training/sae_trainer.h"
#include "gpu/sae/training/sae_trainer_state.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

at::Tensor fixtureTensor(const QString &file, const QString &name)
{
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(test::dataPath(file));
    if (!archive) {
        qFatal("%s", qPrintable(archive.status().message()));
    }
    return tensorFromArchive(archive.value(), name).to(at::kFloat).clone();
}

double maxDifference(const at::Tensor &a, const at::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

gpu::detail::SaeModule randomModule(SaeArchitecture architecture)
{
    at::manual_seed(3);
    SaeConfig config;
    config.architecture = architecture;
    config.dIn = 10;
    config.dSae = 30;
    config.k = 4;
    config.applyBDecToInput = architecture != SaeArchitecture::Relu;
    config.hookName = QStringLiteral("blocks.2.hook_resid_post");
    config.modelName = QStringLiteral("demo");
    gpu::detail::SaeWeights w{
            at::randn({10, 30}), at::randn({30}), at::randn({30, 10}), at::randn({10}), {}};
    if (architecture == SaeArchitecture::JumpRelu || architecture == SaeArchitecture::BatchTopK) {
        w.threshold = at::rand({30});
    }
    return gpu::detail::SaeModule(config, w);
}

// Copies a fixture directory so a test can damage it.
QString copyFixture(const QString &name, const QTemporaryDir &dir)
{
    const QDir source(test::dataPath(QStringLiteral("sae/") + name));
    const QString target = dir.filePath(name);
    QDir().mkpath(target);
    for (const QString &file : source.entryList(QDir::Files)) {
        QFile::copy(source.filePath(file), QDir(target).filePath(file));
    }
    return target;
}

void editConfig(const QString &directory, const std::function<void(QJsonObject &)> &edit)
{
    QFile file(QDir(directory).filePath(QStringLiteral("cfg.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonObject cfg = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    edit(cfg);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QJsonDocument(cfg).toJson());
}

}  // namespace

class TestSaeIo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void loadsSaeLensDirectories_data();
    void loadsSaeLensDirectories();
    void roundTripIsExact_data();
    void roundTripIsExact();
    void exportedTrainerSaeTakesRawInputs();
    void clearErrors();
    void evaluationMatchesDirectFormulas();
    void readsFloat16ActivationFiles();
    void shuffleIsAPermutationAndSeeded();
    void activationFileErrors();
};

void TestSaeIo::initTestCase()
{
    // These problems are small: one thread is as fast, and avoids OpenMP spin-waits when the
    // machine is shared (20x slower runs were seen with 2 threads under load).
    at::set_num_threads(1);
}

void TestSaeIo::loadsSaeLensDirectories_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("architecture");
    QTest::addColumn<QString>("hook");
    QTest::newRow("v6 jumprelu fp16")
            << QStringLiteral("saelens_jumprelu") << int(SaeArchitecture::JumpRelu)
            << QStringLiteral("blocks.12.hook_resid_post");
    QTest::newRow("pre-6 standard, scaler")
            << QStringLiteral("saelens_standard_v5") << int(SaeArchitecture::Relu)
            << QStringLiteral("blocks.0.hook_mlp_out");
    QTest::newRow("v6 topk") << QStringLiteral("saelens_topk") << int(SaeArchitecture::TopK)
                             << QStringLiteral("blocks.3.hook_resid_pre");
    QTest::newRow("gemma scope params.npz")
            << QStringLiteral("gemma_scope") << int(SaeArchitecture::JumpRelu) << QString();
}

void TestSaeIo::loadsSaeLensDirectories()
{
    QFETCH(QString, name);
    QFETCH(int, architecture);
    QFETCH(QString, hook);
    auto loaded = loadSae(test::dataPath(QStringLiteral("sae/") + name));
    QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
    const gpu::detail::SaeModule &module = *loaded.value();
    QCOMPARE(int(module.config().architecture), architecture);
    QCOMPARE(module.config().hookName, hook);
    const QString expected =
            QStringLiteral("sae/") + name + QStringLiteral("_expected.safetensors");
    const at::Tensor x = fixtureTensor(expected, QStringLiteral("x"));
    const at::Tensor f = module.encode(x);
    QVERIFY2(maxDifference(f, fixtureTensor(expected, QStringLiteral("features"))) < 1e-4,
             qPrintable(QString::number(
                     maxDifference(f, fixtureTensor(expected, QStringLiteral("features"))))));
    QVERIFY(maxDifference(module.decode(f),
                          fixtureTensor(expected, QStringLiteral("reconstruction"))) < 1e-4);
    QVERIFY((f > 0).any().item<bool>());
}

void TestSaeIo::roundTripIsExact_data()
{
    QTest::addColumn<int>("architecture");
    QTest::newRow("relu") << int(SaeArchitecture::Relu);
    QTest::newRow("topk") << int(SaeArchitecture::TopK);
    QTest::newRow("batchtopk") << int(SaeArchitecture::BatchTopK);
    QTest::newRow("jumprelu") << int(SaeArchitecture::JumpRelu);
}

void TestSaeIo::roundTripIsExact()
{
    QFETCH(int, architecture);
    const gpu::detail::SaeModule module = randomModule(SaeArchitecture(architecture));
    QTemporaryDir dir;
    SaeSaveExtras extras;
    extras.featureDensity.assign(30, 0.25f);
    extras.featureDensity[4] = 0.0f;
    QVERIFY(saveSae(module, dir.path(), extras).isOk());
    auto loaded = loadSae(dir.path());
    QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
    const gpu::detail::SaeWeights &a = module.weights();
    const gpu::detail::SaeWeights &b = loaded.value()->weights();
    QVERIFY(at::equal(a.wEnc, b.wEnc) && at::equal(a.bEnc, b.bEnc));
    QVERIFY(at::equal(a.wDec, b.wDec) && at::equal(a.bDec, b.bDec));
    QCOMPARE(a.threshold.defined(), b.threshold.defined());
    if (a.threshold.defined()) {
        QVERIFY(at::equal(a.threshold, b.threshold));
    }
    const at::Tensor x = at::randn({7, 10});
    QVERIFY(at::equal(module.encode(x), loaded.value()->encode(x)));
    QCOMPARE(loaded.value()->config().applyBDecToInput, module.config().applyBDecToInput);
    QCOMPARE(loaded.value()->config().hookName, module.config().hookName);

    // cfg.json carries the keys SAELens reads.
    QFile file(QDir(dir.path()).filePath(QStringLiteral("cfg.json")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject cfg = QJsonDocument::fromJson(file.readAll()).object();
    const QString expectedArchitecture =
            SaeArchitecture(architecture) == SaeArchitecture::Relu   ? QStringLiteral("standard")
            : SaeArchitecture(architecture) == SaeArchitecture::TopK ? QStringLiteral("topk")
                                                                     : QStringLiteral("jumprelu");
    QCOMPARE(cfg[QStringLiteral("architecture")].toString(), expectedArchitecture);
    QCOMPARE(cfg[QStringLiteral("d_in")].toInt(), 10);
    QCOMPARE(cfg[QStringLiteral("d_sae")].toInt(), 30);
    QCOMPARE(cfg[QStringLiteral("normalize_activations")].toString(), QStringLiteral("none"));
    QCOMPARE(cfg[QStringLiteral("metadata")].toObject()[QStringLiteral("hook_name")].toString(),
             QStringLiteral("blocks.2.hook_resid_post"));
    if (SaeArchitecture(architecture) == SaeArchitecture::TopK) {
        QCOMPARE(cfg[QStringLiteral("k")].toInt(), 4);
    }
    const at::Tensor sparsity =
            fixtureTensor(QDir(dir.path()).filePath(QStringLiteral("sparsity.safetensors")),
                          QStringLiteral("sparsity"));
    QVERIFY(std::abs(sparsity[0].item<double>() - std::log10(0.25 + 1e-10)) < 1e-6);
    QVERIFY(std::abs(sparsity[4].item<double>() + 10.0) < 1e-4);
}

void TestSaeIo::exportedTrainerSaeTakesRawInputs()
{
    // Activations far from E‖x‖ = √d, so the folded scale matters.
    at::manual_seed(8);
    const at::Tensor data = at::randn({2048, 16}) * 7.0 + 3.0;
    for (const SaeArchitecture architecture : {SaeArchitecture::Relu, SaeArchitecture::BatchTopK}) {
        SaeTrainingConfig config;
        config.sae.architecture = architecture;
        config.sae.dSae = 32;
        config.sae.k = 4;
        config.batchSize = 128;
        config.totalTokens = 128 * 30;
        config.learningRate = 1e-2;
        config.batchTopKThresholdStartFraction = 0.0;
        auto trainer = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 2));
        QVERIFY(trainer.isOk());
        QVERIFY(trainer.value()->step(100).isOk());
        const double s = trainer.value()->inputScale();
        QVERIFY(std::abs(s * data.norm(2, {1}).mean().item<double>() - 4.0) < 1e-3);
        QTemporaryDir dir;
        QVERIFY(trainer.value()->exportSae(dir.path()).isOk());
        auto loaded = loadSae(dir.path());
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        // Training-unit module on s·x, divided back by s, equals the export on raw x.
        const gpu::detail::SaeModule &trained = trainer.value()->state().module;
        const at::Tensor x = data.narrow(0, 0, 64);
        const at::Tensor expected = trained.reconstruct(x * s) / s;
        QVERIFY2(maxDifference(loaded.value()->reconstruct(x), expected) < 1e-4,
                 qPrintable(
                         QString::number(maxDifference(loaded.value()->reconstruct(x), expected))));
        Result<SaeFileInfo> info = readSaeInfo(dir.path());
        QVERIFY(info.isOk());
        QCOMPARE(info.value().trainedArchitecture, nameOf(architecture));
        QCOMPARE(info.value().foldedInputScale, s);
        QVERIFY(QFile::exists(QDir(dir.path()).filePath(QStringLiteral("sparsity.safetensors"))));
    }
}

void TestSaeIo::clearErrors()
{
    QTemporaryDir dir;
    // d_sae in cfg.json no longer matches the tensors: the message names a tensor and shapes.
    QString path = copyFixture(QStringLiteral("saelens_topk"), dir);
    editConfig(path, [](QJsonObject &cfg) { cfg[QStringLiteral("d_sae")] = 21; });
    auto result = loadSae(path);
    QVERIFY(!result.isOk());
    QCOMPARE(result.status().code(), Status::Code::InvalidInput);
    QVERIFY2(result.status().message().contains(QLatin1String("W_enc")) &&
                     result.status().message().contains(QLatin1String("[8,21]")),
             qPrintable(result.status().message()));

    path = copyFixture(QStringLiteral("saelens_jumprelu"), dir);
    editConfig(path, [](QJsonObject &cfg) { cfg.remove(QStringLiteral("d_in")); });
    result = loadSae(path);
    QVERIFY(result.status().message().contains(QLatin1String("'d_in'")));

    editConfig(path, [](QJsonObject &cfg) {
        cfg[QStringLiteral("d_in")] = 8;
        cfg[QStringLiteral("architecture")] = QStringLiteral("gated");
    });
    result = loadSae(path);
    QVERIFY(result.status().message().contains(QLatin1String("gated")));

    editConfig(path, [](QJsonObject &cfg) {
        cfg[QStringLiteral("architecture")] = QStringLiteral("jumprelu");
        cfg[QStringLiteral("normalize_activations")] = QStringLiteral("batch_norm");
    });
    result = loadSae(path);
    QVERIFY(result.status().message().contains(QLatin1String("batch_norm")));

    path = copyFixture(QStringLiteral("saelens_standard_v5"), dir);
    QFile::remove(QDir(path).filePath(QStringLiteral("activation_scaler.json")));
    result = loadSae(path);
    QVERIFY(result.status().message().contains(QLatin1String("activation_scaler.json")));

    QFile::remove(QDir(path).filePath(QStringLiteral("sae_weights.safetensors")));
    editConfig(path,
               [](QJsonObject &cfg) { cfg[QStringLiteral("normalize_activations")] = false; });
    result = loadSae(path);
    QCOMPARE(result.status().code(), Status::Code::NotFound);
    QVERIFY(result.status().message().contains(QLatin1String("sae_weights.safetensors")));

    QFile broken(QDir(path).filePath(QStringLiteral("cfg.json")));
    QVERIFY(broken.open(QIODevice::WriteOnly | QIODevice::Truncate));
    broken.write("{\"d_in\": 6,");
    broken.close();
    result = loadSae(path);
    QVERIFY(result.status().message().contains(QLatin1String("invalid JSON")));

    QCOMPARE(loadSae(dir.filePath(QStringLiteral("nothing"))).status().code(),
             Status::Code::NotFound);

    result = loadSae(test::dataPath(QStringLiteral("sae/gemma_scope_compressed")));
    QVERIFY2(result.status().message().contains(QLatin1String("np.savez_compressed")),
             qPrintable(result.status().message()));
    QFile truncated(dir.filePath(QStringLiteral("params.npz")));
    QFile original(test::dataPath(QStringLiteral("sae/gemma_scope/params.npz")));
    QVERIFY(original.open(QIODevice::ReadOnly) && truncated.open(QIODevice::WriteOnly));
    truncated.write(original.readAll().left(700));
    truncated.close();
    result = loadSae(truncated.fileName());
    QCOMPARE(result.status().code(), Status::Code::InvalidInput);
}

void TestSaeIo::evaluationMatchesDirectFormulas()
{
    auto loaded = loadSae(test::dataPath(QStringLiteral("sae/saelens_topk")));
    QVERIFY(loaded.isOk());
    at::manual_seed(4);
    const at::Tensor x = at::randn({500, 8}) * 2.0 + 0.5;
    auto source = gpu::detail::makeTensorSource(x, 0, /*shuffle=*/false);
    Result<SaeEvalMetrics> metrics = evaluateSae(*loaded.value(), *source, 0, 64);
    QVERIFY(metrics.isOk());
    // Direct, double precision, one pass.
    const at::Tensor xd = x.to(at::kDouble);
    const at::Tensor f = loaded.value()->encode(x);
    const at::Tensor error = (loaded.value()->decode(f).to(at::kDouble) - xd).square().sum();
    const at::Tensor variance = (xd - xd.mean(0)).square().sum();
    QCOMPARE(metrics.value().tokens, int64_t(500));
    QVERIFY(std::abs(metrics.value().explainedVariance -
                     (1.0 - (error / variance).item<double>())) < 1e-6);
    QVERIFY(std::abs(metrics.value().mse - error.item<double>() / (500.0 * 8)) < 1e-6);
    QVERIFY(std::abs(metrics.value().l0 - (f > 0).sum().item<double>() / 500.0) < 1e-9);
    QVERIFY(metrics.value().l0 <= 3.0);
    const double dead = ((f > 0).sum(0) == 0).sum().item<double>() / 20.0;
    QCOMPARE(metrics.value().deadFraction, dead);

    auto wrong = gpu::detail::makeTensorSource(at::randn({10, 9}), 0);
    QVERIFY(!evaluateSae(*loaded.value(), *wrong).isOk());
}

void TestSaeIo::readsFloat16ActivationFiles()
{
    const QString path = test::dataPath(QStringLiteral("sae/activations_f16.h5"));
    Result<ActivationFileInfo> info = inspectActivationFile(path);
    QVERIFY2(info.isOk(), qPrintable(info.status().message()));
    QCOMPARE(info.value().rows, int64_t(300));
    QCOMPARE(info.value().columns, int64_t(8));
    QCOMPARE(info.value().attributes.value(QStringLiteral("hook_name")),
             QStringLiteral("blocks.1.hook_resid_post"));
    auto source = openActivationFile(path, QStringLiteral("activations"), false, 0);
    QVERIFY(source.isOk());
    auto reference = openActivationFile(path, QStringLiteral("reference"), false, 0);
    QVERIFY(reference.isOk());
    // In file order, across the epoch boundary (300 rows, batches of 128).
    for (int i = 0; i < 4; ++i) {
        Result<at::Tensor> a = source.value()->next(128);
        Result<at::Tensor> b = reference.value()->next(128);
        QVERIFY(a.isOk() && b.isOk());
        QVERIFY(at::equal(a.value(), b.value()));
    }
    QCOMPARE(source.value()->position(), int64_t(512));
}

void TestSaeIo::shuffleIsAPermutationAndSeeded()
{
    const at::Tensor rows = at::arange(1000, at::TensorOptions().dtype(at::kFloat)).unsqueeze(1);
    gpu::detail::ShuffleOptions options;
    options.seed = 11;
    options.blockRows = 64;
    options.windowBlocks = 4;
    gpu::detail::ShuffledRowSource a(gpu::detail::makeTensorReader(rows), options);
    gpu::detail::ShuffledRowSource b(gpu::detail::makeTensorReader(rows), options);
    const at::Tensor epoch = a.next(1000).value().reshape({-1});
    // Every row exactly once per epoch, not in file order.
    QVERIFY(at::equal(std::get<0>(epoch.sort()), rows.reshape({-1})));
    QVERIFY(!at::equal(epoch, rows.reshape({-1})));
    // A buffer of 4 blocks mixes rows from different parts of the file.
    QVERIFY((epoch.narrow(0, 0, 256).max() - epoch.narrow(0, 0, 256).min()).item<double>() > 256);
    QVERIFY(at::equal(b.next(1000).value().reshape({-1}), epoch));
    // The next epoch is a different order; a seek reproduces any position.
    const at::Tensor second = a.next(300).value();
    QVERIFY(!at::equal(second.reshape({-1}), epoch.narrow(0, 0, 300)));
    gpu::detail::ShuffledRowSource c(gpu::detail::makeTensorReader(rows), options);
    QVERIFY(c.seek(1000).isOk());
    QVERIFY(at::equal(c.next(300).value(), second));
    options.seed = 12;
    gpu::detail::ShuffledRowSource d(gpu::detail::makeTensorReader(rows), options);
    QVERIFY(!at::equal(d.next(1000).value().reshape({-1}), epoch));
}

void TestSaeIo::activationFileErrors()
{
    // (What inspectActivationFile refuses is tested without torch in tst_activation_file.)
    // A file written by Hdf5Writer reads back; NaN rows are reported with their position.
    QTemporaryDir dir;
    const QString written = dir.filePath(QStringLiteral("w.h5"));
    {
        auto writer = Hdf5Writer::createRows(written);
        QVERIFY(writer.isOk());
        QVERIFY(writer.value()
                        ->createDataset(QStringLiteral("activations"), Hdf5Writer::Type::Float32, 4,
                                        2)
                        .isOk());
        const float values[8] = {1, 2, 3, 4, 5, NAN, 7, 8};
        QVERIFY(writer.value()->writeRows(QStringLiteral("activations"), 0, 4, values).isOk());
        QVERIFY(writer.value()
                        ->setAttribute(QStringLiteral("hook_name"), QStringLiteral("h"))
                        .isOk());
        QVERIFY(writer.value()->commit().isOk());
    }
    auto source = openActivationFile(written, QStringLiteral("activations"), false, 0);
    QVERIFY(source.isOk());
    QVERIFY(source.value()->next(2).isOk());
    auto bad = source.value()->next(2);
    QVERIFY(!bad.isOk());
    QVERIFY2(bad.status().message().contains(QLatin1String("position 2")),
             qPrintable(bad.status().message()));
}

QTEST_APPLESS_MAIN(TestSaeIo)
#include "tst_sae_io.moc"
