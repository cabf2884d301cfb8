// The Contrasts dock's engine requests on the demo model and SAE: the contrast equals
// `gyrus-cli represent` + `gyrus-cli contrast` on the same settings, the 2 × 2 effects equal
// factorialContrasts on the same table, the feature RSA map equals feature_selection's scores,
// the method comparison equals crossValidatedScore, and cancelling it works.

#include "core/hdf5/hdf5_reader.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/contrasts.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/method_comparison.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/runtime_info.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace gyrus;
using gyrus::test::hasFinished;
using gyrus::test::statusOf;

namespace {

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

QString demoPath(const QString &relative)
{
    return gyrus::test::sourcePath(relative);
}

PromptSet demoSet(const QString &name)
{
    auto loaded =
            loadPromptSet(demoPath(QStringLiteral("datasets/prompt-sets/demo/%1.json").arg(name)));
    if (!loaded) {
        qFatal("%s", qPrintable(loaded.status().message()));
    }
    return loaded->set;
}

bool close(double a, double b, double tolerance = 1e-8)
{
    return std::abs(a - b) <= tolerance * (1.0 + std::abs(a) + std::abs(b));
}

struct CsvContrast
{
    std::vector<double> t, p, d, q;
};

CsvContrast readContrastCsv(const QString &path)
{
    CsvContrast out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return out;
    }
    file.readLine();  // header: feature,t,p,d,q,...
    while (!file.atEnd()) {
        const QList<QByteArray> fields = file.readLine().trimmed().split(',');
        if (fields.size() < 5) {
            continue;
        }
        out.t.push_back(fields[1].toDouble());
        out.p.push_back(fields[2].toDouble());
        out.d.push_back(fields[3].toDouble());
        out.q.push_back(fields[4].toDouble());
    }
    return out;
}

}  // namespace

class TestContrastEngine : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<gpu::TorchEngineClient> m_engine;

    // Waits for request `id` and returns its result from `ready` (null when none).
    template <typename Ptr>
    Ptr awaitResult(RequestId id, QSignalSpy &finished, QSignalSpy &ready, Status *status)
    {
        if (!QTest::qWaitFor([&] { return hasFinished(finished, id); }, 120000)) {
            *status = Status::internal(QStringLiteral("timed out"));
            return nullptr;
        }
        *status = statusOf(finished, id);
        for (const QList<QVariant> &args : ready) {
            if (args.at(0).value<RequestId>() == id) {
                return args.at(1).value<Ptr>();
            }
        }
        return nullptr;
    }

    // `gyrus-cli represent` of a demo set into this test's folder.
    QString represent(const QString &set, bool sae)
    {
        const QString out =
                m_dir.filePath(set + (sae ? QStringLiteral("-sae.h5") : QStringLiteral("-raw.h5")));
        if (QFile::exists(out)) {
            return out;
        }
        QStringList arguments = {
                QStringLiteral("represent"),
                QStringLiteral("--model"),
                demoPath(QStringLiteral("datasets/demo/model")),
                QStringLiteral("--prompts"),
                demoPath(QStringLiteral("datasets/prompt-sets/demo/%1.json").arg(set)),
                QStringLiteral("--hook"),
                kHook,
                QStringLiteral("--pooling"),
                QStringLiteral("mean"),
                QStringLiteral("--no-cache"),
                QStringLiteral("--out"),
                out};
        if (sae) {
            arguments << QStringLiteral("--sae") << demoPath(QStringLiteral("datasets/demo/sae"));
        }
        const test::ProcessRun r = test::runCli(arguments);
        if (r.exitCode != 0) {
            qWarning("represent failed: %s", qPrintable(r.err));
            return QString();
        }
        return out;
    }

    ContrastSource valenceSource(bool sae) const
    {
        ContrastSource source;
        source.promptSet = demoSet(QStringLiteral("demo-valence"));
        source.factor = QStringLiteral("valence");
        // A = negative (represent's label 1): `gyrus-cli contrast --a-label 1` below.
        source.levelA = QStringLiteral("negative");
        source.levelB = QStringLiteral("positive");
        source.hookName = kHook;
        source.saeFeatures = sae;
        source.pooling = Pooling::Mean;
        return source;
    }

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // The thread count gyrus and gyrus-cli use: float sums then run in the same order.
        gpu::configureThreads();
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
    }

    void cleanupTestCase() { m_engine.reset(); }

    void contrastEqualsTheCli_data()
    {
        QTest::addColumn<bool>("sae");
        QTest::newRow("raw") << false;
        QTest::newRow("sae") << true;
    }

    void contrastEqualsTheCli()
    {
        QFETCH(bool, sae);
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::contrastReady);
        const RequestId id = m_engine->runContrast(valenceSource(sae));
        Status status;
        const ContrastAnalysisResultPtr result =
                awaitResult<ContrastAnalysisResultPtr>(id, finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QVERIFY(result);
        QCOMPARE(result->effects.size(), 1);
        const ContrastResult &engine = result->effects[0].stats;
        QCOMPARE(result->itemCount, 40);
        QCOMPARE(engine.featureCount(), sae ? 1536 : 192);

        const QString table = represent(QStringLiteral("demo-valence"), sae);
        QVERIFY(!table.isEmpty());
        const QString csv = m_dir.filePath(QStringLiteral("contrast.csv"));
        const test::ProcessRun r = test::runCli(
                {QStringLiteral("contrast"), QStringLiteral("--input"), table,
                 QStringLiteral("--dataset"), QStringLiteral("features"),
                 QStringLiteral("--labels-dataset"), QStringLiteral("labels"),
                 QStringLiteral("--a-label"), QStringLiteral("1"), QStringLiteral("--out"), csv});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const CsvContrast cli = readContrastCsv(csv);
        QCOMPARE(int64_t(cli.t.size()), engine.featureCount());
        double largest = 0;
        for (size_t j = 0; j < cli.t.size(); ++j) {
            QVERIFY2(close(engine.t[j], cli.t[j]) && close(engine.q[j], cli.q[j]) &&
                             close(engine.d[j], cli.d[j]) && close(engine.p[j], cli.p[j]),
                     qPrintable(QStringLiteral("feature %1: engine t %2 q %3, cli t %4 q %5")
                                        .arg(j)
                                        .arg(engine.t[j])
                                        .arg(engine.q[j])
                                        .arg(cli.t[j])
                                        .arg(cli.q[j])));
            largest = std::max(largest, std::abs(engine.t[j]));
        }
        // Not a vacuous comparison: valence moves some features.
        QVERIFY2(largest > 2, qPrintable(QString::number(largest)));
        // The means are of the right sides: mean A − mean B is the contrast estimate.
        const ContrastEffect &effect = result->effects[0];
        for (size_t j = 0; j < 10; ++j) {
            QVERIFY(close(effect.meanA[j] - effect.meanB[j], engine.meanDiff[j], 1e-6));
        }
    }

    void factorialEffectsEqualFactorialContrasts()
    {
        ContrastSource source;
        source.promptSet = demoSet(QStringLiteral("demo-tense-number"));
        source.factor = QStringLiteral("tense");
        source.factorial = true;
        source.hookName = kHook;
        source.pooling = Pooling::Mean;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::contrastReady);
        Status status;
        const ContrastAnalysisResultPtr result = awaitResult<ContrastAnalysisResultPtr>(
                m_engine->runContrast(source), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(result->effects.size(), 3);
        QCOMPARE(result->effects[0].sideA, QStringLiteral("past"));
        QCOMPARE(result->effects[1].sideA, QStringLiteral("plural"));

        const QString table = represent(QStringLiteral("demo-tense-number"), false);
        auto reader = Hdf5Reader::open(table);
        QVERIFY(reader.isOk());
        const FloatMatrix x = reader.value()->readFloatMatrix(QStringLiteral("features")).value();
        const auto tense = reader.value()->readIntVector(QStringLiteral("labels_tense")).value();
        const auto number = reader.value()->readIntVector(QStringLiteral("labels_number")).value();
        const auto direct = gpu::factorialContrasts(x, tense, number);
        QVERIFY(direct.isOk());
        const ContrastResult *expected[3] = {&direct->mainA, &direct->mainB, &direct->interaction};
        for (int e = 0; e < 3; ++e) {
            const ContrastResult &got = result->effects[e].stats;
            QCOMPARE(got.featureCount(), int64_t(192));
            for (size_t j = 0; j < 192; ++j) {
                QVERIFY2(close(got.t[j], expected[e]->t[j]) && close(got.q[j], expected[e]->q[j]),
                         qPrintable(QStringLiteral("effect %1 feature %2").arg(e).arg(j)));
            }
        }
    }

    void rsaMapEqualsFeatureSelection()
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::featureRsaMapReady);
        Status status;
        const FeatureRsaMapPtr map = awaitResult<FeatureRsaMapPtr>(
                m_engine->computeFeatureRsaMap(valenceSource(true)), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QVERIFY(map);
        QCOMPARE(map->featureCount(), int64_t(1536));

        const QString table = represent(QStringLiteral("demo-valence"), true);
        auto reader = Hdf5Reader::open(table);
        QVERIFY(reader.isOk());
        const FloatMatrix x = reader.value()->readFloatMatrix(QStringLiteral("features")).value();
        const auto labels = reader.value()->readIntVector(QStringLiteral("labels")).value();
        for (auto [method, scores] :
             {std::pair{SelectionMethod::PooledSeparationR, &map->pooledSeparationR},
              std::pair{SelectionMethod::PooledSeparationD, &map->pooledSeparationD},
              std::pair{SelectionMethod::MeanDifference, &map->maxActivation}}) {
            const auto direct = gpu::featureScores(x, labels, method);
            QVERIFY(direct.isOk());
            QCOMPARE(direct->size(), scores->size());
            double largest = 0;
            for (size_t j = 0; j < scores->size(); ++j) {
                QVERIFY2(close((*scores)[j], (*direct)[j], 1e-10),
                         qPrintable(QStringLiteral("%1 feature %2: %3 vs %4")
                                            .arg(nameOf(method))
                                            .arg(j)
                                            .arg((*scores)[j])
                                            .arg((*direct)[j])));
                largest = std::max(largest, std::abs((*scores)[j]));
            }
            QVERIFY(largest > 0);
        }
    }

    // On aligned windows the map adds temporal RSA, equal to `gyrus-cli select-features` on the
    // windows `gyrus-cli represent --pooling window` writes (level A = label 0 in both).
    void rsaMapOnWindowsAddsTemporalRsa()
    {
        ContrastSource source = valenceSource(false);
        source.levelA = QStringLiteral("positive");
        source.levelB = QStringLiteral("negative");
        source.pooling = Pooling::Window;
        source.window = 12;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::featureRsaMapReady);
        Status status;
        const FeatureRsaMapPtr map = awaitResult<FeatureRsaMapPtr>(
                m_engine->computeFeatureRsaMap(source), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(map->temporalDiscriminativeRsa.size(), size_t(192));
        QCOMPARE(map->temporalCategoricalRsa.size(), size_t(192));

        const QString windows = m_dir.filePath(QStringLiteral("valence-windows.h5"));
        const test::ProcessRun represented = test::runCli(
                {QStringLiteral("represent"), QStringLiteral("--model"),
                 demoPath(QStringLiteral("datasets/demo/model")), QStringLiteral("--prompts"),
                 demoPath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")),
                 QStringLiteral("--hook"), kHook, QStringLiteral("--pooling"),
                 QStringLiteral("window"), QStringLiteral("--window"), QStringLiteral("12"),
                 QStringLiteral("--out"), windows});
        QVERIFY2(represented.exitCode == 0, qPrintable(represented.err));
        for (auto [method, scores] : {std::pair{QStringLiteral("temporal-discriminative-rsa"),
                                                &map->temporalDiscriminativeRsa},
                                      std::pair{QStringLiteral("temporal-categorical-rsa"),
                                                &map->temporalCategoricalRsa}}) {
            const test::ProcessRun selected =
                    test::runCli({QStringLiteral("select-features"), QStringLiteral("--input"),
                                  windows, QStringLiteral("--method"), method, QStringLiteral("-k"),
                                  QStringLiteral("500")});
            QVERIFY2(selected.exitCode == 0, qPrintable(selected.err));
            const QJsonArray top = QJsonDocument::fromJson(selected.out)
                                           .object()
                                           .value(QStringLiteral("top"))
                                           .toArray();
            QCOMPARE(top.size(), 192);
            double largest = 0;
            for (const QJsonValue &entry : top) {
                const int feature = entry.toObject().value(QStringLiteral("feature")).toInt();
                const double score = entry.toObject().value(QStringLiteral("score")).toDouble();
                QVERIFY2(close((*scores)[size_t(feature)], score, 1e-9),
                         qPrintable(QStringLiteral("%1 feature %2: %3 vs %4")
                                            .arg(method)
                                            .arg(feature)
                                            .arg((*scores)[size_t(feature)])
                                            .arg(score)));
                largest = std::max(largest, std::abs(score));
            }
            QVERIFY(largest > 0);
        }
        // Pooled sources have no time courses: no temporal columns.
        const FeatureRsaMapPtr pooled = awaitResult<FeatureRsaMapPtr>(
                m_engine->computeFeatureRsaMap(valenceSource(false)), finished, ready, &status);
        QVERIFY(pooled && pooled->temporalDiscriminativeRsa.empty());
    }

    void methodComparisonEqualsCrossValidatedScore()
    {
        MethodComparisonRequest r;
        r.source = valenceSource(false);
        r.methods = {SelectionMethod::Univariate,
                     *fromName<SelectionMethod>(QStringLiteral("categorical-rsa"))};
        r.k = 4;
        r.folds = 3;
        r.repeats = 2;
        r.permutations = 4;
        r.seed = 7;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::methodComparisonReady);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        Status status;
        const MethodComparisonResultPtr result = awaitResult<MethodComparisonResultPtr>(
                m_engine->compareMethods(r), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(result->rows.size(), 2);

        const QString table = represent(QStringLiteral("demo-valence"), false);
        auto reader = Hdf5Reader::open(table);
        const FloatMatrix x = reader.value()->readFloatMatrix(QStringLiteral("features")).value();
        const auto labels = reader.value()->readIntVector(QStringLiteral("labels")).value();
        gpu::ComparisonOptions options;
        options.k = r.k;
        options.folds = r.folds;
        options.repeats = r.repeats;
        options.permutations = r.permutations;
        options.seed = r.seed;
        for (const MethodComparisonRow &row : result->rows) {
            const SelectionMethod method = row.method;
            const auto direct = gpu::crossValidatedScore(x, labels, method, options);
            QVERIFY(direct.isOk());
            QVERIFY(close(row.balancedAccuracy, direct->balancedAccuracy, 1e-12));
            QVERIFY(close(row.auc, direct->auc, 1e-12));
            QVERIFY(close(row.nullMean, direct->nullMean, 1e-12));
            QCOMPARE(row.p, direct->p);
            QVERIFY(row.nullLow <= row.nullMean && row.nullMean <= row.nullHigh);
            const auto top = gpu::topFeatures(gpu::featureScores(x, labels, method).value(), r.k);
            QCOMPARE(row.selectedFeatures.size(), top.size());
            for (size_t i = 0; i < top.size(); ++i) {
                QCOMPARE(int64_t(row.selectedFeatures[i]), top[i]);
            }
        }
    }

    // With aligned windows the comparison adds the temporal methods and feature-set RSA, and
    // its numbers are those of the library on the same windows (level A labelled 0, as the
    // temporal categorical score defines it).
    void methodComparisonOnWindowsAddsTemporalMethods()
    {
        MethodComparisonRequest r;
        r.source = valenceSource(false);
        r.source.pooling = Pooling::Window;
        r.source.window = 12;
        r.k = 4;
        r.folds = 3;
        r.repeats = 1;
        r.permutations = 2;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::methodComparisonReady);
        Status status;
        const MethodComparisonResultPtr result = awaitResult<MethodComparisonResultPtr>(
                m_engine->compareMethods(r), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QStringList methods;
        for (const MethodComparisonRow &row : result->rows) {
            methods << nameOf(row.method);
            QCOMPARE(row.selectedFeatures.size(), size_t(4));
            QVERIFY(row.balancedAccuracy >= 0.0 && row.balancedAccuracy <= 1.0);
        }
        QVERIFY2(methods.contains(QStringLiteral("temporal-discriminative-rsa")) &&
                         methods.contains(QStringLiteral("temporal-categorical-rsa")) &&
                         methods.contains(QStringLiteral("feature-set-rsa")),
                 qPrintable(methods.join(QStringLiteral(", "))));
        QCOMPARE(methods.size(), 7);
    }

    void methodComparisonCancels()
    {
        MethodComparisonRequest r;
        r.source = valenceSource(true);
        r.repeats = 100;
        r.permutations = 5000;  // hours of work: only a cancel ends it in time
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::methodComparisonReady);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        const RequestId id = m_engine->compareMethods(r);
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(progress.begin(), progress.end(),
                                             [id](const QList<QVariant> &a) {
                                                 return a.at(0).value<RequestId>() == id;
                                             }),
                                 60000);
        QElapsedTimer clock;
        clock.start();
        m_engine->cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 10000);
        QCOMPARE(statusOf(finished, id).code(), Status::Code::Cancelled);
        QVERIFY(ready.isEmpty());
        qInfo("cancelled %lld ms after the request", static_cast<long long>(clock.elapsed()));
        // The engine serves the next request.
        QSignalSpy contrast(m_engine.get(), &EngineClient::contrastReady);
        const RequestId next = m_engine->runContrast(valenceSource(false));
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, next), 60000);
        QVERIFY(statusOf(finished, next).isOk());
        QCOMPARE(contrast.count(), 1);
    }

    // The Contrasts dock's replication report is `gyrus-cli replicate`: the same rows, claims
    // and verdicts for the same seed and settings (few splits; the statistics are tested in
    // tests/gpu). A cancelled run writes nothing.
    void replicationEqualsTheCli()
    {
        QTemporaryDir dir;
        ReplicationRequest r;
        r.source = valenceSource(true);
        // Label 0 is the concept's condition: the factor's first level, as the command takes it.
        r.source.levelA = QStringLiteral("positive");
        r.source.levelB = QStringLiteral("negative");
        r.outputDirectory = dir.filePath(QStringLiteral("dock"));
        r.window = 12;
        r.k = 4;
        r.folds = 3;
        r.repeats = 2;
        r.permutations = 2;
        r.signFlips = 99;
        r.bootstrap = 50;
        r.seed = 5;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy written(m_engine.get(), &EngineClient::replicationWritten);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        const RequestId id = m_engine->replicate(r);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 300000);
        QVERIFY2(statusOf(finished, id).isOk(), qPrintable(statusOf(finished, id).message()));
        QCOMPARE(written.count(), 1);
        const auto outcome = written.at(0).at(1).value<ReplicationOutcome>();
        QCOMPARE(outcome.verdicts.size(), 3);
        QVERIFY(QFile::exists(outcome.htmlPath));
        QStringList stages;
        for (const QList<QVariant> &args : progress) {
            if (args.at(0).value<RequestId>() == id) {
                stages << args.at(1).value<JobProgress>().message;
            }
        }
        QVERIFY2(std::any_of(stages.begin(), stages.end(),
                             [](const QString &m) {
                                 return m.contains(QStringLiteral(" of 4 (")) &&
                                        m.contains(QStringLiteral("ETA"));
                             }),
                 qPrintable(stages.join(QLatin1Char('\n'))));

        const QString cliOut = dir.filePath(QStringLiteral("cli"));
        const test::ProcessRun cli = test::runCli(
                {QStringLiteral("replicate"),
                 QStringLiteral("--model"),
                 demoPath(QStringLiteral("datasets/demo/model")),
                 QStringLiteral("--sae"),
                 demoPath(QStringLiteral("datasets/demo/sae")),
                 QStringLiteral("--hook"),
                 kHook,
                 QStringLiteral("--prompts"),
                 demoPath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")),
                 QStringLiteral("--window"),
                 QStringLiteral("12"),
                 QStringLiteral("--k"),
                 QStringLiteral("4"),
                 QStringLiteral("--folds"),
                 QStringLiteral("3"),
                 QStringLiteral("--repeats"),
                 QStringLiteral("2"),
                 QStringLiteral("--permutations"),
                 QStringLiteral("2"),
                 QStringLiteral("--sign-flips"),
                 QStringLiteral("99"),
                 QStringLiteral("--bootstrap"),
                 QStringLiteral("50"),
                 QStringLiteral("--seed"),
                 QStringLiteral("5"),
                 QStringLiteral("--out"),
                 cliOut});
        QVERIFY2(cli.exitCode == 0, qPrintable(cli.err));
        auto readJson = [](const QString &path) {
            QFile file(path);
            file.open(QIODevice::ReadOnly);
            QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
            json.remove(QStringLiteral("seconds"));  // the only number that may differ
            return json;
        };
        const QJsonObject dock = readJson(r.outputDirectory + QStringLiteral("/report.json"));
        const QJsonObject command = readJson(cliOut + QStringLiteral("/report.json"));
        QCOMPARE(dock.value(QStringLiteral("results")).toArray().size(), 18);
        for (const QString &key : command.keys()) {
            QVERIFY2(dock.value(key) == command.value(key),
                     qPrintable(
                             key + QStringLiteral(": dock ") +
                             QString::fromUtf8(QJsonDocument(QJsonObject{{key, dock.value(key)}})
                                                       .toJson(QJsonDocument::Compact)
                                                       .left(400)) +
                             QStringLiteral(" cli ") +
                             QString::fromUtf8(QJsonDocument(QJsonObject{{key, command.value(key)}})
                                                       .toJson(QJsonDocument::Compact)
                                                       .left(400))));
        }
        QCOMPARE(dock.keys(), command.keys());

        // Cancelled: no report.
        r.outputDirectory = dir.filePath(QStringLiteral("cancelled"));
        r.repeats = 100;
        r.permutations = 5000;
        const RequestId cancelled = m_engine->replicate(r);
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(progress.begin(), progress.end(),
                                             [cancelled](const QList<QVariant> &a) {
                                                 return a.at(0).value<RequestId>() == cancelled;
                                             }),
                                 60000);
        m_engine->cancel(cancelled);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, cancelled), 20000);
        QCOMPARE(statusOf(finished, cancelled).code(), Status::Code::Cancelled);
        QVERIFY(!QFile::exists(r.outputDirectory + QStringLiteral("/report.html")));
    }

    void badSettingsAreClearErrors()
    {
        ContrastSource source = valenceSource(false);
        source.levelB = source.levelA;
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        const RequestId id = m_engine->runContrast(source);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 30000);
        QVERIFY(statusOf(finished, id).message().contains(QStringLiteral("two different levels")));
        // Pooling is an enum now: an unknown name is refused where it is read.
        const Result<Pooling> pooling = parseName<Pooling>(QStringLiteral("max"));
        QVERIFY(!pooling);
        QVERIFY(pooling.status().message().contains(QStringLiteral("max")));
    }
};

QTEST_GUILESS_MAIN(TestContrastEngine)
#include "tst_contrast_engine.moc"
