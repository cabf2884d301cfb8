// gyrus-cli represent end to end on the demo model and a demo prompt set.

#include "core/hdf5_reader.h"
#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using gyrus::test::ProcessRun;

namespace {
ProcessRun cli(const QStringList &arguments)
{
    return gyrus::test::runCli(arguments);
}

const QString kModel = gyrus::test::sourcePath(QStringLiteral("datasets/demo/model"));
const QString kValence =
        gyrus::test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json"));
}  // namespace

class TestRepresentCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void writesFeaturesAndLabels()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("valence.h5"));
        const ProcessRun r =
                cli({QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), kValence, QStringLiteral("--hook"),
                     QStringLiteral("blocks.2.hook_resid_post"), QStringLiteral("--pooling"),
                     QStringLiteral("target"), QStringLiteral("--cache-dir"),
                     dir.filePath(QStringLiteral("cache")), QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject json = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(json.value(QStringLiteral("items")).toInt(), 40);
        QCOMPARE(json.value(QStringLiteral("cache")).toString(), QStringLiteral("miss"));
        QCOMPARE(json.value(QStringLiteral("features")).toInt(), 192);
        auto reader = gyrus::Hdf5Reader::open(out);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->shape(QStringLiteral("features")).value(),
                 (std::vector<int64_t>{40, 192}));
        const std::vector<int64_t> labels =
                reader.value()->readIntVector(QStringLiteral("labels")).value();
        QCOMPARE(std::count(labels.begin(), labels.end(), 0), 20);  // positive
        QCOMPARE(std::count(labels.begin(), labels.end(), 1), 20);  // negative
        QCOMPARE(reader.value()->readIntVector(QStringLiteral("labels_valence")).value(), labels);

        // The output feeds the statistics commands as it is.
        const ProcessRun contrast =
                cli({QStringLiteral("contrast"), QStringLiteral("--input"), out,
                     QStringLiteral("--dataset"), QStringLiteral("features"),
                     QStringLiteral("--labels-dataset"), QStringLiteral("labels"),
                     QStringLiteral("--out"), dir.filePath(QStringLiteral("c.csv"))});
        QVERIFY2(contrast.exitCode == 0, qPrintable(contrast.err));
        const ProcessRun select =
                cli({QStringLiteral("select-features"), QStringLiteral("--input"), out,
                     QStringLiteral("--method"), QStringLiteral("categorical-rsa"),
                     QStringLiteral("--k"), QStringLiteral("5")});
        QVERIFY2(select.exitCode == 0, qPrintable(select.err));
        const QJsonObject selected = QJsonDocument::fromJson(select.out).object();
        const ProcessRun direct = cli(
                {QStringLiteral("select-features"), QStringLiteral("--model"), kModel,
                 QStringLiteral("--prompts"), kValence, QStringLiteral("--hook"),
                 QStringLiteral("blocks.2.hook_resid_post"), QStringLiteral("--pooling"),
                 QStringLiteral("target"), QStringLiteral("--method"),
                 QStringLiteral("categorical-rsa"), QStringLiteral("--k"), QStringLiteral("5")});
        QVERIFY2(direct.exitCode == 0, qPrintable(direct.err));
        // The same table computed on the spot ranks the same features.
        QCOMPARE(QJsonDocument::fromJson(direct.out).object().value(QStringLiteral("top")),
                 QJsonDocument::fromJson(select.out).object().value(QStringLiteral("top")));
        QCOMPARE(selected.value(QStringLiteral("top")).toArray().size(), 5);
        QCOMPARE(selected.value(QStringLiteral("features")).toInt(), 192);
        const ProcessRun compare =
                cli({QStringLiteral("compare-methods"), QStringLiteral("--raw-input"), out,
                     QStringLiteral("--repeats"), QStringLiteral("1"),
                     QStringLiteral("--permutations"), QStringLiteral("2")});
        QVERIFY2(compare.exitCode == 0, qPrintable(compare.err));
        const QJsonArray results = QJsonDocument::fromJson(compare.out)
                                           .object()
                                           .value(QStringLiteral("results"))
                                           .toArray();
        QCOMPARE(results.size(), 4);  // raw × the four methods
        for (const QJsonValue &row : results) {
            const double accuracy =
                    row.toObject().value(QStringLiteral("balanced_accuracy")).toDouble(-1);
            QVERIFY(accuracy >= 0.0 && accuracy <= 1.0);
        }
    }

    // Aligned windows end to end: /X and /mask, the temporal methods on them, every feature
    // listed with a large -k, and the pooled methods on the same file.
    void windowPoolingFeedsTemporalRsa()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("windows.h5"));
        const ProcessRun r =
                cli({QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), kValence, QStringLiteral("--hook"),
                     QStringLiteral("blocks.2.hook_resid_post"), QStringLiteral("--pooling"),
                     QStringLiteral("window"), QStringLiteral("--window"), QStringLiteral("12"),
                     QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto reader = gyrus::Hdf5Reader::open(out);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->shape(QStringLiteral("X")).value(),
                 (std::vector<int64_t>{40, 12, 192}));
        QCOMPARE(reader.value()->shape(QStringLiteral("mask")).value(),
                 (std::vector<int64_t>{40, 12}));
        const std::vector<double> mask =
                reader.value()->readDoubles(QStringLiteral("mask")).value();
        const std::vector<double> x = reader.value()->readDoubles(QStringLiteral("X")).value();
        int real = 0;
        for (size_t k = 0; k < mask.size(); ++k) {
            real += int(mask[k]);
            if (mask[k] == 0.0) {  // padding is zero and stays out of every pattern
                for (size_t f = 0; f < 192; ++f) {
                    QCOMPARE(x[k * 192 + f], 0.0);
                }
            }
        }
        QVERIFY(real > 40 * 3 && real < 40 * 12);  // short sentences: some padding
        QCOMPARE(reader.value()->readRootAttribute(QStringLiteral("alignment")).value(),
                 QStringLiteral("left"));
        for (const QString &method :
             {QStringLiteral("temporal-discriminative-rsa"),
              QStringLiteral("temporal-categorical-rsa"), QStringLiteral("univariate")}) {
            const ProcessRun select =
                    cli({QStringLiteral("select-features"), QStringLiteral("--input"), out,
                         QStringLiteral("--method"), method, QStringLiteral("-k"),
                         QStringLiteral("500")});
            QVERIFY2(select.exitCode == 0, qPrintable(method + select.err));
            const QJsonObject json = QJsonDocument::fromJson(select.out).object();
            QCOMPARE(json.value(QStringLiteral("method")).toString(), method);
            const QJsonArray top = json.value(QStringLiteral("top")).toArray();
            QCOMPARE(top.size(), 192);  // every feature, best first
            for (int i = 1; i < top.size(); ++i) {
                QVERIFY(top[i - 1].toObject().value(QStringLiteral("score")).toDouble() >=
                        top[i].toObject().value(QStringLiteral("score")).toDouble());
            }
        }
        // A pooled table cannot feed a temporal method: one clear line.
        const ProcessRun pooled =
                cli({QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), kValence, QStringLiteral("--hook"),
                     QStringLiteral("blocks.2.hook_resid_post"), QStringLiteral("--out"),
                     dir.filePath(QStringLiteral("p.h5"))});
        QVERIFY2(pooled.exitCode == 0, qPrintable(pooled.err));
        const ProcessRun refused =
                cli({QStringLiteral("select-features"), QStringLiteral("--input"),
                     dir.filePath(QStringLiteral("p.h5")), QStringLiteral("--method"),
                     QStringLiteral("temporal-categorical-rsa")});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY(refused.err.contains(QStringLiteral("--pooling window")));
    }

    void scanWritesFeatureDashboards()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("scan.json"));
        const ProcessRun r = cli(
                {QStringLiteral("scan"), QStringLiteral("--model"), kModel, QStringLiteral("--sae"),
                 gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae")),
                 QStringLiteral("--corpus"),
                 gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")),
                 QStringLiteral("--tokens"), QStringLiteral("3000"), QStringLiteral("--top-k"),
                 QStringLiteral("3"), QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject scan = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonArray features = scan.value(QStringLiteral("features")).toArray();
        QCOMPARE(features.size(), 1536);
        int withExamples = 0;
        for (const QJsonValue &feature : features) {
            const QJsonArray examples =
                    feature.toObject().value(QStringLiteral("examples")).toArray();
            QVERIFY(examples.size() <= 3);
            withExamples += examples.isEmpty() ? 0 : 1;
            for (const QJsonValue &e : examples) {
                QVERIFY(e.toObject().value(QStringLiteral("activation")).toDouble() > 0);
            }
            QCOMPARE(feature.toObject().value(QStringLiteral("boosted")).toArray().size(), 10);
            QCOMPARE(feature.toObject().value(QStringLiteral("bin_samples")).toArray().size(),
                     feature.toObject().value(QStringLiteral("histogram")).toArray().size());
        }
        QVERIFY(withExamples > 1000);  // the demo SAE has almost no dead features
    }

    void badInputIsOneLineExitTwo()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("x.h5"));
        for (const QStringList &extra :
             {QStringList{QStringLiteral("--pooling"), QStringLiteral("max")},
              QStringList{QStringLiteral("--hook"), QStringLiteral("blocks.9.hook_resid_post")}}) {
            QStringList arguments = {QStringLiteral("represent"),
                                     QStringLiteral("--model"),
                                     kModel,
                                     QStringLiteral("--prompts"),
                                     kValence,
                                     QStringLiteral("--out"),
                                     out};
            if (!extra.contains(QStringLiteral("--hook"))) {
                arguments << QStringLiteral("--hook") << QStringLiteral("blocks.2.hook_resid_post");
            }
            arguments << extra;
            const ProcessRun r = cli(arguments);
            QCOMPARE(r.exitCode, 2);
            QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        }
        const ProcessRun missing =
                cli({QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), dir.filePath(QStringLiteral("none.json")),
                     QStringLiteral("--hook"), QStringLiteral("blocks.2.hook_resid_post"),
                     QStringLiteral("--out"), out});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY(missing.err.contains(QStringLiteral("none.json")));
    }
};

QTEST_GUILESS_MAIN(TestRepresentCli)
#include "tst_represent_cli.moc"
