// gyrus-cli represent end to end on the demo model and a demo prompt set.

#include "core/hdf5/hdf5_reader.h"
#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
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
const QString kSae = gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae"));

QJsonArray resultsOf(const ProcessRun &run)
{
    return QJsonDocument::fromJson(run.out).object().value(QStringLiteral("results")).toArray();
}
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

    // The temporal methods inside the cross-validated comparison, the seed's six combinations,
    // and the replication report, end to end on the demo model and SAE (few splits: the
    // numbers are tested in tests/gpu; here the commands and their outputs).
    void comparisonWithWindowsPresetAndReplication()
    {
        QTemporaryDir dir;
        const QString windows = dir.filePath(QStringLiteral("windows.h5"));
        const QStringList model = {
                QStringLiteral("--model"),   kModel,
                QStringLiteral("--prompts"), kValence,
                QStringLiteral("--hook"),    QStringLiteral("blocks.2.hook_resid_post")};
        const QStringList few = {QStringLiteral("--repeats"), QStringLiteral("1"),
                                 QStringLiteral("--permutations"), QStringLiteral("2")};
        const ProcessRun r = cli(QStringList{QStringLiteral("represent")} + model +
                                 QStringList{QStringLiteral("--pooling"), QStringLiteral("window"),
                                             QStringLiteral("--window"), QStringLiteral("12"),
                                             QStringLiteral("--out"), windows});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const ProcessRun compare = cli(QStringList{QStringLiteral("compare-methods"),
                                                   QStringLiteral("--raw-input"), windows} +
                                       few);
        QVERIFY2(compare.exitCode == 0, qPrintable(compare.err));
        QStringList methods;
        for (const QJsonValue &row : resultsOf(compare)) {
            methods << row.toObject().value(QStringLiteral("method")).toString();
            QCOMPARE(row.toObject().value(QStringLiteral("selected_on_all_items")).toArray().size(),
                     8);
        }
        QCOMPARE(methods,
                 (QStringList{QStringLiteral("mean-difference"), QStringLiteral("univariate"),
                              QStringLiteral("pooled-separation-r"),
                              QStringLiteral("pooled-separation-d"),
                              QStringLiteral("temporal-discriminative-rsa"),
                              QStringLiteral("temporal-categorical-rsa"),
                              QStringLiteral("feature-set-rsa")}));
        const ProcessRun unknown =
                cli(QStringList{QStringLiteral("compare-methods"), QStringLiteral("--raw-input"),
                                windows, QStringLiteral("--methods"), QStringLiteral("best")} +
                    few);
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains(QStringLiteral("unknown method 'best'")));

        const ProcessRun preset =
                cli(QStringList{QStringLiteral("compare-methods"), QStringLiteral("--preset"),
                                QStringLiteral("seed-six"), QStringLiteral("--sae"), kSae} +
                    model + few);
        QVERIFY2(preset.exitCode == 0, qPrintable(preset.err));
        QSet<QString> combinations;
        int seedRows = 0;
        for (const QJsonValue &value : resultsOf(preset)) {
            const QJsonObject row = value.toObject();
            combinations << row.value(QStringLiteral("combination")).toString();
            seedRows += row.value(QStringLiteral("version")).toString() == QLatin1String("seed")
                                ? 1
                                : 0;
        }
        QCOMPARE(resultsOf(preset).size(), 12);  // six combinations, as the seed ran them and fixed
        QCOMPARE(seedRows, 6);
        QCOMPARE(combinations,
                 (QSet<QString>{QStringLiteral("RSA_SAE_discriminative"),
                                QStringLiteral("RSA_SAE_categorical"),
                                QStringLiteral("RSA_raw_discriminative"),
                                QStringLiteral("RSA_raw_categorical"), QStringLiteral("raw_SAE"),
                                QStringLiteral("raw_raw")}));

        const QString report = dir.filePath(QStringLiteral("report"));
        const ProcessRun replicate =
                cli(QStringList{QStringLiteral("replicate"), QStringLiteral("--sae"), kSae,
                                QStringLiteral("--out"), report, QStringLiteral("--sign-flips"),
                                QStringLiteral("99"), QStringLiteral("--bootstrap"),
                                QStringLiteral("50")} +
                    model + few);
        QVERIFY2(replicate.exitCode == 0, qPrintable(replicate.err));
        const QJsonObject json = QJsonDocument::fromJson(replicate.out).object();
        const QJsonArray verdicts = json.value(QStringLiteral("verdicts")).toArray();
        QCOMPARE(verdicts.size(), 3);
        for (const QJsonValue &verdict : verdicts) {
            QVERIFY((QStringList{QStringLiteral("supported"), QStringLiteral("contradicted"),
                                 QStringLiteral("not supported")})
                            .contains(verdict.toObject()
                                              .value(QStringLiteral("verdict"))
                                              .toString()));
        }
        for (const QJsonValue &claim : json.value(QStringLiteral("claims")).toArray()) {
            const QJsonObject c = claim.toObject();
            const QJsonArray ci = c.value(QStringLiteral("ci")).toArray();
            QVERIFY(ci[0].toDouble() <= c.value(QStringLiteral("difference")).toDouble());
            QVERIFY(c.value(QStringLiteral("difference")).toDouble() <= ci[1].toDouble());
            QVERIFY(c.value(QStringLiteral("p_holm")).toDouble() >=
                    c.value(QStringLiteral("p")).toDouble());
        }
        QCOMPARE(json.value(QStringLiteral("results")).toArray().size(), 18);
        QFile html(report + QStringLiteral("/report.html"));
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QString page = QString::fromUtf8(html.readAll());
        for (const QString &part :
             {QStringLiteral("<h2>Verdicts</h2>"), QStringLiteral("<svg"),
              QStringLiteral("<h2>Methods</h2>"), QStringLiteral("<h2>Provenance</h2>"),
              json.value(QStringLiteral("model_fingerprint")).toString()}) {
            QVERIFY2(page.contains(part), qPrintable(part));
        }
        QVERIFY(QFile::exists(report + QStringLiteral("/figures/differences.svg")));
        QVERIFY(QFile::exists(report + QStringLiteral("/figures/accuracy.svg")));
        // Without an SAE there is no claim (2) to test: one clear line.
        const ProcessRun noSae = cli(
                QStringList{QStringLiteral("replicate"), QStringLiteral("--out"), report} + model);
        QCOMPARE(noSae.exitCode, 2);
        QVERIFY(noSae.err.contains(QStringLiteral("--sae")));
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
        QCOMPARE(scan.value(QStringLiteral("logit_effects")).toObject(),
                 QJsonObject({{QStringLiteral("computed"), true}}));
    }

    // Without logit effects (a wide SAE's are hours of work; here asked for none) the lists are
    // empty and the file says why.
    void scanSaysWhyLogitEffectsAreAbsent()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("scan.json"));
        const QStringList arguments = {
                QStringLiteral("scan"),
                QStringLiteral("--model"),
                kModel,
                QStringLiteral("--sae"),
                gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae")),
                QStringLiteral("--corpus"),
                gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")),
                QStringLiteral("--tokens"),
                QStringLiteral("200"),
                QStringLiteral("--top-k"),
                QStringLiteral("1"),
                QStringLiteral("--out"),
                out};
        const ProcessRun r = cli(
                arguments + QStringList{QStringLiteral("--logit-effects"), QStringLiteral("none")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject scan = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonObject note = scan.value(QStringLiteral("logit_effects")).toObject();
        QCOMPARE(note.value(QStringLiteral("computed")).toBool(true), false);
        QCOMPARE(note.value(QStringLiteral("why_absent")).toString(),
                 QStringLiteral("--logit-effects none"));
        // 1536 features x the demo's vocabulary x d_model 256.
        QVERIFY(note.value(QStringLiteral("multiply_adds")).toDouble() > 1536.0 * 256);
        for (const QJsonValue &feature : scan.value(QStringLiteral("features")).toArray()) {
            QVERIFY(feature.toObject().value(QStringLiteral("boosted")).toArray().isEmpty());
            QVERIFY(feature.toObject().value(QStringLiteral("suppressed")).toArray().isEmpty());
        }
        const ProcessRun bad = cli(
                arguments + QStringList{QStringLiteral("--logit-effects"), QStringLiteral("some")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("--logit-effects takes auto, all or none")),
                 qPrintable(bad.err));
    }

    // A study names its SAE; the hook follows from the SAE's cfg.json unless --hook says
    // otherwise, for the raw table too.
    void hookComesFromTheSaeWhenOmitted()
    {
        QTemporaryDir dir;
        const QString sae = gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae"));
        const QString out = dir.filePath(QStringLiteral("sae.h5"));
        const ProcessRun represent =
                cli({QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), kValence, QStringLiteral("--sae"), sae,
                     QStringLiteral("--no-cache"), QStringLiteral("--out"), out});
        QVERIFY2(represent.exitCode == 0, qPrintable(represent.err));
        auto reader = gyrus::Hdf5Reader::open(out);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->readRootAttribute(QStringLiteral("hook_name")).value(),
                 QStringLiteral("blocks.2.hook_resid_post"));
        QCOMPARE(reader.value()->shape(QStringLiteral("features")).value(),
                 (std::vector<int64_t>{40, 1536}));

        const ProcessRun compare =
                cli({QStringLiteral("compare-methods"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--sae"), sae, QStringLiteral("--prompts"), kValence,
                     QStringLiteral("--folds"), QStringLiteral("2"), QStringLiteral("--repeats"),
                     QStringLiteral("1"), QStringLiteral("--permutations"), QStringLiteral("0")});
        QVERIFY2(compare.exitCode == 0, qPrintable(compare.err));
        const QJsonArray rows = QJsonDocument::fromJson(compare.out)
                                        .object()
                                        .value(QStringLiteral("results"))
                                        .toArray();
        QCOMPARE(rows.size(), 8);  // raw and SAE × the four methods

        const ProcessRun neither =
                cli({QStringLiteral("select-features"), QStringLiteral("--model"), kModel,
                     QStringLiteral("--prompts"), kValence});
        QCOMPARE(neither.exitCode, 2);
        QVERIFY2(neither.err.contains(QStringLiteral("--hook is required without --sae")),
                 qPrintable(neither.err));
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
