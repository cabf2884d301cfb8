// gyrus-cli sae train|eval|encode end to end, as a script runs them: JSON on stdout, one line on
// stderr, exit codes 0 / 2. The outputs are checked against the SAE loaded in-process.

#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace {

using Run = gyrus::test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return gyrus::test::runCli(arguments);
}

QJsonObject parse(const QByteArray &out)
{
    return QJsonDocument::fromJson(out).object();
}

bool oneLineError(const Run &run, const QString &command)
{
    return run.exitCode == 2 && run.out.isEmpty() &&
           run.err.startsWith(QStringLiteral("gyrus-cli ") + command + QStringLiteral(": ")) &&
           run.err.count(QLatin1Char('\n')) == 1;
}

// 3000 rows in d = 16 from 48 unit directions, 2–3 active, written as gyrus-cli cache does.
at::Tensor writeActivations(const QString &path)
{
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(77);
    at::Tensor dictionary = at::randn({48, 16}, g);
    dictionary = dictionary / dictionary.norm(2, {1}, true);
    const at::Tensor chosen = std::get<1>(at::rand({3000, 48}, g).sort(1)).narrow(1, 0, 3);
    const at::Tensor keep = at::arange(3).unsqueeze(0) < at::randint(2, 4, {3000, 1}, g);
    const at::Tensor magnitude = (at::randn({3000, 3}, g) * 0.3 + 2.0).abs();
    const at::Tensor x =
            at::matmul(at::zeros({3000, 48}).scatter_(1, chosen, magnitude * keep), dictionary)
                    .contiguous();
    auto writer = gyrus::Hdf5Writer::createRows(path);
    if (!writer || !writer.value()
                            ->createDataset(QStringLiteral("activations"),
                                            gyrus::Hdf5Writer::Type::Float32, 3000, 16)
                            .isOk()) {
        qFatal("cannot write %s", qPrintable(path));
    }
    writer.value()->writeRows(QStringLiteral("activations"), 0, 3000, x.data_ptr<float>());
    writer.value()->setAttribute(QStringLiteral("hook_name"),
                                 QStringLiteral("blocks.2.hook_resid_post"));
    writer.value()->setAttribute(QStringLiteral("model"), QStringLiteral("synthetic"));
    writer.value()->commit();
    return x;
}

}  // namespace

class TestSaeCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void trainEvalEncode();
    void cacheResumesAndStreamingTrains();
    void badInput();
    void saeAgainstModel();

private:
    QTemporaryDir m_dir;
    QString m_activations;
    at::Tensor m_x;
};

void TestSaeCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_activations = m_dir.filePath(QStringLiteral("acts.h5"));
    m_x = writeActivations(m_activations);
}

void TestSaeCli::trainEvalEncode()
{
    const QString out = m_dir.filePath(QStringLiteral("sae"));
    const Run train = cli({QStringLiteral("sae"),           QStringLiteral("train"),
                           QStringLiteral("--activations"), m_activations,
                           QStringLiteral("--arch"),        QStringLiteral("topk"),
                           QStringLiteral("--d-sae"),       QStringLiteral("96"),
                           QStringLiteral("--k"),           QStringLiteral("3"),
                           QStringLiteral("--batch-size"),  QStringLiteral("128"),
                           QStringLiteral("--tokens"),      QStringLiteral("38400"),
                           QStringLiteral("--lr"),          QStringLiteral("5e-3"),
                           QStringLiteral("--seed"),        QStringLiteral("4"),
                           QStringLiteral("--out"),         out});
    QVERIFY2(train.exitCode == 0, qPrintable(train.err));
    const QJsonObject summary = parse(train.out);
    QCOMPARE(summary[QStringLiteral("steps")].toInt(), 300);
    const double trainEv = summary[QStringLiteral("final")]
                                   .toObject()[QStringLiteral("explained_variance")]
                                   .toDouble();
    QVERIFY2(trainEv > 0.7, qPrintable(QString::number(trainEv)));
    for (const char *file :
         {"cfg.json", "sae_weights.safetensors", "sparsity.safetensors", "train_log.jsonl"}) {
        QVERIFY2(QFile::exists(QDir(out).filePath(QLatin1String(file))), file);
    }
    auto loaded = gyrus::gpu::loadSae(out);
    QVERIFY(loaded.isOk());
    QCOMPARE(loaded.value()->config().hookName, QStringLiteral("blocks.2.hook_resid_post"));

    const Run eval = cli({QStringLiteral("sae"), QStringLiteral("eval"), QStringLiteral("--sae"),
                          out, QStringLiteral("--activations"), m_activations});
    QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
    const QJsonObject metrics = parse(eval.out);
    const at::Tensor f = loaded.value()->encode(m_x);
    const at::Tensor xd = m_x.to(at::kDouble);
    const double ev =
            1.0 - (loaded.value()->decode(f).to(at::kDouble) - xd).square().sum().item<double>() /
                          (xd - xd.mean(0)).square().sum().item<double>();
    QVERIFY(std::abs(metrics[QStringLiteral("explained_variance")].toDouble() - ev) < 1e-6);
    QVERIFY(std::abs(metrics[QStringLiteral("l0")].toDouble() - 3.0) < 1e-9);
    QVERIFY(metrics.contains(QStringLiteral("mse")));
    QVERIFY(metrics.contains(QStringLiteral("dead_fraction")));

    const QString sparse = m_dir.filePath(QStringLiteral("codes.h5"));
    const Run encode =
            cli({QStringLiteral("sae"), QStringLiteral("encode"), QStringLiteral("--sae"), out,
                 QStringLiteral("--activations"), m_activations, QStringLiteral("--top-k"),
                 QStringLiteral("3"), QStringLiteral("--out"), sparse,
                 QStringLiteral("--batch-size"), QStringLiteral("1000")});
    QVERIFY2(encode.exitCode == 0, qPrintable(encode.err));
    auto reader = gyrus::Hdf5Reader::open(sparse);
    QVERIFY(reader.isOk());
    auto values = reader.value()->readFloatMatrix(QStringLiteral("values"));
    auto indices = reader.value()->readFloatMatrix(QStringLiteral("indices"));
    QVERIFY(values.isOk() && indices.isOk());
    QCOMPARE(values.value().rows, int64_t(3000));
    const auto [topValues, topIndices] = loaded.value()->encodeTopK(m_x, 3);
    for (int row : {0, 1, 1234, 2999}) {
        for (int j = 0; j < 3; ++j) {
            QVERIFY(std::abs(values.value().at(row, j) - topValues[row][j].item<float>()) < 1e-5);
            if (topValues[row][j].item<float>() > 0) {
                QCOMPARE(int(indices.value().at(row, j)), int(topIndices[row][j].item<int64_t>()));
            }
        }
    }
    const QString dense = m_dir.filePath(QStringLiteral("dense.h5"));
    QCOMPARE(cli({QStringLiteral("sae"), QStringLiteral("encode"), QStringLiteral("--sae"), out,
                  QStringLiteral("--activations"), m_activations, QStringLiteral("--out"), dense})
                     .exitCode,
             0);
    auto denseReader = gyrus::Hdf5Reader::open(dense);
    auto features = denseReader.value()->readFloatMatrix(QStringLiteral("features"));
    QVERIFY(features.isOk());
    QCOMPARE(features.value().cols, int64_t(96));
    for (int col = 0; col < 96; col += 7) {
        QVERIFY(std::abs(features.value().at(17, col) - f[17][col].item<float>()) < 1e-5);
    }
}

// The activation store on the demo model: a float16 cache that a second run finds finished and
// that other settings may not reuse; an SAE trained by streaming the model over the same text,
// which loads and evaluates on the cache.
void TestSaeCli::cacheResumesAndStreamingTrains()
{
    const QString model = gyrus::test::sourcePath(QStringLiteral("datasets/demo/model"));
    const QString hook = QStringLiteral("blocks.2.hook_resid_post");
    const QString corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
    {
        QFile heldout(gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        QFile out(corpus);
        QVERIFY(out.open(QIODevice::WriteOnly));
        for (int line = 0; line < 200 && !heldout.atEnd(); ++line) {
            out.write(heldout.readLine());
        }
    }
    const QString cache = m_dir.filePath(QStringLiteral("demo-acts.h5"));
    const QStringList cacheArguments = {QStringLiteral("cache"),
                                        QStringLiteral("--model"),
                                        model,
                                        QStringLiteral("--corpus"),
                                        corpus,
                                        QStringLiteral("--hook"),
                                        hook,
                                        QStringLiteral("--context-length"),
                                        QStringLiteral("64"),
                                        QStringLiteral("--tokens"),
                                        QStringLiteral("3000"),
                                        QStringLiteral("--out"),
                                        cache};
    const Run cached = cli(cacheArguments);
    QVERIFY2(cached.exitCode == 0, qPrintable(cached.err));
    const QJsonObject first = parse(cached.out);
    QCOMPARE(first.value(QStringLiteral("rows")).toInt(), 3000);
    QCOMPARE(first.value(QStringLiteral("storage")).toString(), QStringLiteral("float16"));
    QCOMPARE(first.value(QStringLiteral("resumed_from_row")).toInt(), 0);
    const Run again = cli(cacheArguments);
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    QCOMPARE(parse(again.out).value(QStringLiteral("resumed_from_row")).toInt(), 3000);
    QStringList otherContext = cacheArguments;
    otherContext[otherContext.indexOf(QStringLiteral("64"))] = QStringLiteral("32");
    const Run refused = cli(otherContext);
    QVERIFY(oneLineError(refused, QStringLiteral("cache")));
    QVERIFY2(refused.err.contains(QLatin1String("context_length")), qPrintable(refused.err));

    const QString out = m_dir.filePath(QStringLiteral("streamed"));
    const Run train = cli({QStringLiteral("sae"),
                           QStringLiteral("train"),
                           QStringLiteral("--model"),
                           model,
                           QStringLiteral("--corpus"),
                           corpus,
                           QStringLiteral("--hook"),
                           hook,
                           QStringLiteral("--context-length"),
                           QStringLiteral("64"),
                           QStringLiteral("--buffer-tokens"),
                           QStringLiteral("2048"),
                           QStringLiteral("--normalisation-tokens"),
                           QStringLiteral("1024"),
                           QStringLiteral("--arch"),
                           QStringLiteral("topk"),
                           QStringLiteral("--d-sae"),
                           QStringLiteral("384"),
                           QStringLiteral("--k"),
                           QStringLiteral("16"),
                           QStringLiteral("--batch-size"),
                           QStringLiteral("256"),
                           QStringLiteral("--tokens"),
                           QStringLiteral("2048"),
                           QStringLiteral("--out"),
                           out});
    QVERIFY2(train.exitCode == 0, qPrintable(train.err));
    const QJsonObject trained = parse(train.out);
    QCOMPARE(trained.value(QStringLiteral("d_in")).toInt(), 192);
    QCOMPARE(trained.value(QStringLiteral("steps")).toInt(), 8);
    auto sae = gyrus::gpu::loadSae(out);
    QVERIFY2(sae.isOk(), qPrintable(sae.status().message()));
    QCOMPARE(sae.value()->config().hookName, hook);

    const Run eval = cli({QStringLiteral("sae"), QStringLiteral("eval"), QStringLiteral("--sae"),
                          out, QStringLiteral("--activations"), cache});
    QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
    const QJsonObject metrics = parse(eval.out);
    const double ev = metrics.value(QStringLiteral("explained_variance")).toDouble(-100);
    QVERIFY2(ev > 0.0 && ev < 1.0, qPrintable(QString::number(ev)));  // 8 steps: learning
    QVERIFY(metrics.value(QStringLiteral("l0")).toDouble() <= 16.0 + 1e-9);
}

void TestSaeCli::badInput()
{
    const QString sae = QStringLiteral("sae");
    QVERIFY(oneLineError(cli({sae, QStringLiteral("fit")}), sae));
    const QString train = QStringLiteral("sae train");
    QVERIFY(oneLineError(cli({sae, QStringLiteral("train"), QStringLiteral("--activations"),
                              m_activations, QStringLiteral("--d-sae"), QStringLiteral("8"),
                              QStringLiteral("--tokens"), QStringLiteral("100"),
                              QStringLiteral("--out"), m_dir.filePath(QStringLiteral("x"))}),
                         train));
    const Run badArch =
            cli({sae, QStringLiteral("train"), QStringLiteral("--activations"), m_activations,
                 QStringLiteral("--arch"), QStringLiteral("gated"), QStringLiteral("--d-sae"),
                 QStringLiteral("8"), QStringLiteral("--tokens"), QStringLiteral("100"),
                 QStringLiteral("--out"), m_dir.filePath(QStringLiteral("x"))});
    QVERIFY(oneLineError(badArch, train));
    QVERIFY(badArch.err.contains(QLatin1String("gated")));
    const Run badDataset =
            cli({sae, QStringLiteral("train"), QStringLiteral("--activations"), m_activations,
                 QStringLiteral("--dataset"), QStringLiteral("acts"), QStringLiteral("--arch"),
                 QStringLiteral("relu"), QStringLiteral("--d-sae"), QStringLiteral("8"),
                 QStringLiteral("--tokens"), QStringLiteral("100"), QStringLiteral("--out"),
                 m_dir.filePath(QStringLiteral("x"))});
    QVERIFY(oneLineError(badDataset, train));
    QVERIFY(badDataset.err.contains(QLatin1String("'/acts'")));
    const Run badK = cli({sae, QStringLiteral("train"), QStringLiteral("--activations"),
                          m_activations, QStringLiteral("--arch"), QStringLiteral("topk"),
                          QStringLiteral("--d-sae"), QStringLiteral("8"), QStringLiteral("--k"),
                          QStringLiteral("9"), QStringLiteral("--tokens"), QStringLiteral("100"),
                          QStringLiteral("--out"), m_dir.filePath(QStringLiteral("x"))});
    QVERIFY(oneLineError(badK, train));
    // An SAE of the wrong width for these activations.
    const Run wrongWidth = cli({sae, QStringLiteral("eval"), QStringLiteral("--sae"),
                                gyrus::test::dataPath(QStringLiteral("sae/saelens_topk")),
                                QStringLiteral("--activations"), m_activations});
    QVERIFY(oneLineError(wrongWidth, QStringLiteral("sae eval")));
    QVERIFY(wrongWidth.err.contains(QLatin1String("d_in = 8")));
    QVERIFY(oneLineError(
            cli({sae, QStringLiteral("encode"), QStringLiteral("--sae"),
                 m_dir.filePath(QStringLiteral("missing")), QStringLiteral("--activations"),
                 m_activations, QStringLiteral("--out"), m_dir.filePath(QStringLiteral("o.h5"))}),
            QStringLiteral("sae encode")));
}

// generate --sae checks the SAE against the model as the engine does: a d_in other than the
// model's is exit 2 naming the SAE and both widths; an SAE trained on another model (cfg
// model_name) still runs, with a warning on stderr naming both models.
void TestSaeCli::saeAgainstModel()
{
    const QString model = gyrus::test::sourcePath(QStringLiteral("datasets/demo/model"));
    const QStringList generate = {QStringLiteral("generate"),
                                  QStringLiteral("--model"),
                                  model,
                                  QStringLiteral("--prompt"),
                                  QStringLiteral("The jury"),
                                  QStringLiteral("--max-new-tokens"),
                                  QStringLiteral("1")};
    const QString narrow =
            gyrus::test::dataPath(QStringLiteral("sae/published/saelens_pre6_topk_layer_norm"));
    const Run wrongWidth = cli(generate + QStringList{QStringLiteral("--sae"), narrow});
    QVERIFY2(oneLineError(wrongWidth, QStringLiteral("generate")), qPrintable(wrongWidth.err));
    QVERIFY2(wrongWidth.err.contains(QLatin1String("d_in is 16")) &&
                     wrongWidth.err.contains(QLatin1String("d_model 192")) &&
                     wrongWidth.err.contains(QLatin1String("saelens_pre6_topk_layer_norm")),
             qPrintable(wrongWidth.err));

    // The demo SAE, saved again as if it had been trained on GPT-2 small.
    auto demo = gyrus::gpu::loadSae(gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae")));
    QVERIFY(demo.isOk());
    gyrus::SaeConfig config = demo.value()->config();
    config.modelName = QStringLiteral("gpt2-small");
    const gyrus::gpu::detail::SaeModule relabelled(config, demo.value()->weights());
    const QString other = m_dir.filePath(QStringLiteral("other_model_sae"));
    QVERIFY(gyrus::gpu::saveSae(relabelled, other).isOk());
    const Run warned = cli(generate + QStringList{QStringLiteral("--sae"), other});
    QVERIFY2(warned.exitCode == 0, qPrintable(warned.err));
    QVERIFY2(warned.err.contains(QLatin1String("gyrus-cli generate: warning: ")) &&
                     warned.err.contains(QLatin1String("gpt2-small")) &&
                     warned.err.contains(QLatin1String("demo/model")),
             qPrintable(warned.err));

    // select-features computing its table from prompts makes the same check.
    const QStringList select = {
            QStringLiteral("select-features"),
            QStringLiteral("--model"),
            model,
            QStringLiteral("--prompts"),
            gyrus::test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")),
            QStringLiteral("--hook"),
            QStringLiteral("blocks.2.hook_resid_post"),
            QStringLiteral("--pooling"),
            QStringLiteral("target"),
            QStringLiteral("--k"),
            QStringLiteral("3")};
    const Run selectWrongWidth = cli(select + QStringList{QStringLiteral("--sae"), narrow});
    QVERIFY2(oneLineError(selectWrongWidth, QStringLiteral("select-features")),
             qPrintable(selectWrongWidth.err));
    QVERIFY2(selectWrongWidth.err.contains(QLatin1String("d_in is 16")) &&
                     selectWrongWidth.err.contains(QLatin1String("d_model 192")),
             qPrintable(selectWrongWidth.err));
    const Run selectWarned = cli(select + QStringList{QStringLiteral("--sae"), other});
    QVERIFY2(selectWarned.exitCode == 0, qPrintable(selectWarned.err));
    QVERIFY2(selectWarned.err.contains(QLatin1String("gyrus-cli select-features: warning: ")) &&
                     selectWarned.err.contains(QLatin1String("gpt2-small")),
             qPrintable(selectWarned.err));
}

QTEST_GUILESS_MAIN(TestSaeCli)
#include "tst_sae_cli.moc"
