// gyrus-cli info / forward / generate end to end: JSON, the HDF5 layout against the reference
// fixture, streamed generation against the LanguageModel facade, exit codes and one-line errors.

#include "core/hdf5_reader.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/tokenizer.h"
#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

using namespace gyrus;

namespace {

struct Run : gyrus::test::ProcessRun
{
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Run cli(const QStringList &arguments)
{
    return {gyrus::test::runCli(arguments)};
}

QString reference()
{
    return test::dataPath(QStringLiteral("llama_reference"));
}

bool isOneErrorLine(const Run &run, const QString &command)
{
    return run.err.startsWith(QStringLiteral("gyrus-cli ") + command + QStringLiteral(": ")) &&
           run.err.count(QLatin1Char('\n')) == 1;
}

}  // namespace

class TestModelCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // A model with a tokenizer, for generate: random weights and a BPE trained here.
        m_model = m_dir.filePath(QStringLiteral("model"));
        gpu::ModelConfig config;
        config.hiddenSize = 32;
        config.numHiddenLayers = 2;
        config.numAttentionHeads = 4;
        config.numKeyValueHeads = 2;
        config.intermediateSize = 48;
        config.vocabSize = 300;
        config.tieWordEmbeddings = true;
        QVERIFY(gpu::writeRandomLlama(m_model, config, 3).isOk());
        const QString corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(corpus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 300; ++i) {
            file.write(QStringLiteral("the bridge %1 crossed the bay in fog and light.\n")
                               .arg(i % 17)
                               .toUtf8());
        }
        file.close();
        gpu::TokenizerTrainOptions options;
        options.inputFiles = {corpus};
        options.modelPrefix = m_model + QStringLiteral("/tokenizer");
        options.vocabSize = 300;
        options.characterCoverage = 1.0;
        const Status trained = gpu::trainSentencepieceBpe(options);
        QVERIFY2(trained.isOk(), qPrintable(trained.message()));
    }

    void infoPrintsTheModel()
    {
        const Run run = cli({QStringLiteral("info"), reference()});
        QCOMPARE(run.exitCode, 0);
        const QJsonObject json = run.json();
        QCOMPARE(json[QStringLiteral("architecture")].toString(),
                 QStringLiteral("LlamaForCausalLM"));
        QCOMPARE(json[QStringLiteral("layers")].toInt(), 2);
        QCOMPARE(json[QStringLiteral("d_model")].toInt(), 64);
        QCOMPARE(json[QStringLiteral("heads")].toInt(), 4);
        QCOMPARE(json[QStringLiteral("kv_heads")].toInt(), 2);
        QCOMPARE(json[QStringLiteral("vocab")].toInt(), 128);
        QCOMPARE(json[QStringLiteral("dtype")].toString(), QStringLiteral("fp32"));
        QCOMPARE(json[QStringLiteral("device")].toString(), QStringLiteral("cpu"));
        // embed + untied head + final norm + 2 layers of (2 norms, q, k, v, o, gate, up, down).
        const qint64 layer = 2 * 64 + 64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 64 * 176;
        QCOMPARE(json[QStringLiteral("parameters")].toInteger(), 2 * 128 * 64 + 64 + 2 * layer);
        QCOMPARE(json[QStringLiteral("hook_names")].toArray().size(), 12);
    }

    void badModelDirectoriesExitWithTwo()
    {
        Run run = cli({QStringLiteral("info"), m_dir.filePath(QStringLiteral("absent"))});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(isOneErrorLine(run, QStringLiteral("info")), qPrintable(run.err));
        QVERIFY(run.err.contains(QStringLiteral("absent")));

        const QString broken = m_dir.filePath(QStringLiteral("broken"));
        QVERIFY(QDir().mkpath(broken));
        QFile config(broken + QStringLiteral("/config.json"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("{\"hidden_size\": ");
        config.close();
        run = cli({QStringLiteral("info"), broken});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(isOneErrorLine(run, QStringLiteral("info")), qPrintable(run.err));
        QVERIFY2(run.err.contains(QStringLiteral("config.json")), qPrintable(run.err));

        run = cli({QStringLiteral("generate"), QStringLiteral("--model"), broken,
                   QStringLiteral("--prompt"), QStringLiteral("x")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(isOneErrorLine(run, QStringLiteral("generate")), qPrintable(run.err));
    }

    void forwardWritesTokensLogitsAndHooks()
    {
        QFile expectedJson(reference() + QStringLiteral("/expected.json"));
        QVERIFY(expectedJson.open(QIODevice::ReadOnly));
        const QJsonObject expected = QJsonDocument::fromJson(expectedJson.readAll()).object();
        QStringList ids;
        std::vector<int64_t> tokens;
        for (const QJsonValue &id : expected[QStringLiteral("tokens")].toArray()) {
            ids << QString::number(id.toInt());
            tokens.push_back(id.toInt());
        }
        const QString out = m_dir.filePath(QStringLiteral("forward.h5"));
        const Run run =
                cli({QStringLiteral("forward"), QStringLiteral("--model"), reference(),
                     QStringLiteral("--tokens"), ids.join(QLatin1Char(',')),
                     QStringLiteral("--capture"), QStringLiteral("blocks.0.hook_resid_post"),
                     QStringLiteral("--out"), out});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.json()[QStringLiteral("tokens")].toInt(), 20);

        auto file = Hdf5Reader::open(out);
        QVERIFY2(file.isOk(), qPrintable(file.status().message()));
        QCOMPARE(file.value()->readIntVector(QStringLiteral("/tokens")).value(), tokens);
        QCOMPARE(file.value()->shape(QStringLiteral("/hooks/blocks.0.hook_resid_post")).value(),
                 (std::vector<int64_t>{20, 64}));
        const FloatMatrix logits = file.value()->readFloatMatrix(QStringLiteral("/logits")).value();
        QCOMPARE(logits.rows, int64_t(20));
        QCOMPARE(logits.cols, int64_t(128));
        QFile raw(reference() + QStringLiteral("/expected_logits.f32"));
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray bytes = raw.readAll();
        QCOMPARE(bytes.size(), qsizetype(20 * 128 * 4));
        std::vector<float> want(20 * 128);
        std::memcpy(want.data(), bytes.constData(), static_cast<size_t>(bytes.size()));
        double worst = 0.0;
        for (size_t i = 0; i < want.size(); ++i) {
            worst = std::max(worst, static_cast<double>(std::abs(want[i] - logits.values[i])));
        }
        QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
    }

    void forwardRejectsBadArguments()
    {
        const QString out = m_dir.filePath(QStringLiteral("bad.h5"));
        Run run =
                cli({QStringLiteral("forward"), QStringLiteral("--model"), reference(),
                     QStringLiteral("--tokens"), QStringLiteral("1,2"), QStringLiteral("--capture"),
                     QStringLiteral("blocks.9.hook_attn_out"), QStringLiteral("--out"), out});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(isOneErrorLine(run, QStringLiteral("forward")), qPrintable(run.err));
        QVERIFY(!QFile::exists(out));
        // The reference checkpoint has no tokenizer: --text must say so.
        run = cli({QStringLiteral("forward"), QStringLiteral("--model"), reference(),
                   QStringLiteral("--text"), QStringLiteral("hello"), QStringLiteral("--out"),
                   out});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("tokenizer.model")), qPrintable(run.err));
    }

    void generateStreamsWhatTheFacadeGenerates()
    {
        const QStringList args{QStringLiteral("generate"),
                               QStringLiteral("--model"),
                               m_model,
                               QStringLiteral("--prompt"),
                               QStringLiteral("the bridge"),
                               QStringLiteral("--max-new-tokens"),
                               QStringLiteral("6"),
                               QStringLiteral("--ignore-eos")};
        const Run run = cli(args);
        QCOMPARE(run.exitCode, 0);
        auto model = gpu::LanguageModel::load(m_model);
        QVERIFY(model.isOk());
        gpu::GenerateOptions options;
        options.maxNewTokens = 6;
        options.stopAtEos = false;
        auto expected = model.value()->generate(QStringLiteral("the bridge"), options);
        QVERIFY(expected.isOk());
        QCOMPARE(QString::fromUtf8(run.out), expected->text + QLatin1Char('\n'));

        const QStringList sampled =
                args + QStringList{QStringLiteral("--temperature"), QStringLiteral("1.2"),
                                   QStringLiteral("--top-p"),       QStringLiteral("0.9"),
                                   QStringLiteral("--seed"),        QStringLiteral("5")};
        const Run first = cli(sampled);
        const Run second = cli(sampled);
        QCOMPARE(first.exitCode, 0);
        QCOMPARE(first.out, second.out);

        const Run bad = cli(args + QStringList{QStringLiteral("--top-p"), QStringLiteral("2")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(isOneErrorLine(bad, QStringLiteral("generate")), qPrintable(bad.err));
    }

private:
    QTemporaryDir m_dir;
    QString m_model;
};

QTEST_GUILESS_MAIN(TestModelCli)
#include "tst_model_cli.moc"
