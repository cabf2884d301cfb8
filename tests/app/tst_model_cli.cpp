// gyrus-cli info / forward / generate end to end: JSON, the HDF5 layout against the reference
// fixture, streamed generation against the LanguageModel facade, exit codes and one-line errors.

#include "core/hdf5/hdf5_reader.h"
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
#include <map>

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

    // Every family end to end: gyrus-cli forward --token-ids, every hook to HDF5, against the
    // float64 reference of tests/data/model_families/make_checkpoints.py (one checkpoint per
    // model_type); info names the family and its hooks.
    void familyForwardAndInfo()
    {
        const QString root = m_dir.filePath(QStringLiteral("families"));
        const test::ProcessRun made = test::runProcess(
                QStringLiteral("/usr/bin/python3"),
                {test::dataPath(QStringLiteral("model_families/make_checkpoints.py")), root});
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        QFile manifest(root + QStringLiteral("/manifest.json"));
        QVERIFY(manifest.open(QIODevice::ReadOnly));
        std::map<QString, QJsonObject> cases;
        for (const QJsonValue &c : QJsonDocument::fromJson(manifest.readAll())
                                           .object()[QStringLiteral("cases")]
                                           .toArray()) {
            cases[c.toObject()[QStringLiteral("name")].toString()] = c.toObject();
        }
        const QString model = root + QStringLiteral("/gpt_neox_f32");

        const Run info = cli({QStringLiteral("info"), model});
        QCOMPARE(info.exitCode, 0);
        QCOMPARE(info.json()[QStringLiteral("family")].toString(), QStringLiteral("gpt_neox"));
        QVERIFY(info.json()[QStringLiteral("hook_resid_mid")].toString().startsWith(
                QLatin1String("absent")));
        QVERIFY(info.json()[QStringLiteral("bos_rule")].toString().contains(
                QLatin1String("no BOS")));
        const QJsonArray hooks = info.json()[QStringLiteral("hook_names")].toArray();
        QCOMPARE(hooks.size(), 1 + 3 * 4 + 1);  // embed, 4 per block, ln_final
        QVERIFY(!hooks.contains(QStringLiteral("blocks.0.hook_resid_mid")));

        // One float32 checkpoint of each of the seven model_types (and Gemma-3's multimodal
        // config).
        for (const char *name :
             {"gpt2_f32", "llama3_f32_sharded", "qwen2_f32", "qwen3_f32", "gpt_neox_f32",
              "gemma2_f32_sharded", "gemma3_text_f32", "gemma3_multimodal_f32"}) {
            const QJsonObject c = cases[QLatin1String(name)];
            QVERIFY2(!c.isEmpty(), name);
            QStringList ids;
            for (const QJsonValue &id : c[QStringLiteral("tokens")].toArray()) {
                ids << QString::number(id.toInt());
            }
            const QString out = m_dir.filePath(QLatin1String(name) + QStringLiteral(".h5"));
            const Run run = cli({QStringLiteral("forward"), QStringLiteral("--model"),
                                 root + QLatin1Char('/') + QLatin1String(name),
                                 QStringLiteral("--token-ids"), ids.join(QLatin1Char(',')),
                                 QStringLiteral("--capture"), QStringLiteral("all"),
                                 QStringLiteral("--out"), out});
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
            auto file = Hdf5Reader::open(out);
            QVERIFY(file.isOk());
            const QJsonObject outputs = c[QStringLiteral("outputs")].toObject();
            int compared = 0;
            for (const QString &key : outputs.keys()) {
                const FloatMatrix got =
                        file.value()
                                ->readFloatMatrix(key == QLatin1String("logits")
                                                          ? QStringLiteral("/logits")
                                                          : QStringLiteral("/hooks/") + key)
                                .value();
                QFile raw(root + QLatin1Char('/') +
                          outputs[key].toObject()[QStringLiteral("file")].toString());
                QVERIFY(raw.open(QIODevice::ReadOnly));
                const QByteArray bytes = raw.readAll();
                QCOMPARE(qsizetype(got.values.size() * 8), bytes.size());
                std::vector<double> want(got.values.size());
                std::memcpy(want.data(), bytes.constData(), static_cast<size_t>(bytes.size()));
                double worst = 0.0;
                double scale = 0.0;
                for (size_t i = 0; i < want.size(); ++i) {
                    worst = std::max(worst, std::abs(want[i] - double(got.values[i])));
                    scale = std::max(scale, std::abs(want[i]));
                }
                QVERIFY2(worst <= 1e-5 * scale,
                         qPrintable(QLatin1String(name) + QLatin1Char(' ') + key +
                                    QLatin1Char(' ') + QString::number(worst)));
                ++compared;
            }
            QCOMPARE(compared, int(outputs.size()));  // the logits and every hook
        }

        // A checkpoint missing a tensor: exit 2, one line naming it.
        const QString broken = m_dir.filePath(QStringLiteral("neox-missing-layer"));
        QVERIFY(QDir().mkpath(broken));
        QVERIFY(QFile::copy(model + QStringLiteral("/config.json"),
                            broken + QStringLiteral("/config.json")));
        QFile config(broken + QStringLiteral("/config.json"));
        QVERIFY(config.open(QIODevice::ReadOnly));
        QJsonObject json = QJsonDocument::fromJson(config.readAll()).object();
        config.close();
        json[QStringLiteral("tie_word_embeddings")] = true;  // keeps the files valid but...
        json[QStringLiteral("num_hidden_layers")] = 4;       // ...asks for a fourth layer
        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write(QJsonDocument(json).toJson());
        config.close();
        QVERIFY(QFile::copy(model + QStringLiteral("/model.safetensors"),
                            broken + QStringLiteral("/model.safetensors")));
        const Run bad = cli({QStringLiteral("info"), broken});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(isOneErrorLine(bad, QStringLiteral("info")), qPrintable(bad.err));
        QVERIFY2(bad.err.contains(
                         QLatin1String("gpt_neox.layers.3.attention.query_key_value.weight")),
                 qPrintable(bad.err));
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
        GenerateOptions options;
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
