// The RSA dock's engine request on the demo model and SAE, against the command line: the RDM
// equals `gyrus-cli represent` + `gyrus-cli rdm` on the same settings, and the statistics equal
// `gyrus-cli rsa` on the same RDMs.

#include "core/prompts/prompt_set_io.h"
#include "core/rsa/rdm_csv.h"
#include "gpu/engine/torch_engine_client.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace gyrus;

namespace {

const QString kModel = test::sourcePath(QStringLiteral("datasets/demo/model"));
const QString kSae = test::sourcePath(QStringLiteral("datasets/demo/sae"));
const QString kValence =
        test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json"));
const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

test::ProcessRun cli(const QStringList &arguments)
{
    return test::runCli(arguments);
}

}  // namespace

class TestRsaEngine : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<gpu::TorchEngineClient> m_engine;

    // Runs one request to its end; null (and a failed check) when it did not produce a result.
    std::shared_ptr<const RsaResult> run(const RsaRequest &request, Status *status = nullptr)
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy computed(m_engine.get(), &EngineClient::rsaComputed);
        const RequestId id = m_engine->computeRsa(request);
        if (!QTest::qWaitFor([&] { return test::hasFinished(finished, id); }, 120000)) {
            return nullptr;
        }
        if (status) {
            *status = test::statusOf(finished, id);
        }
        for (const QList<QVariant> &arguments : computed) {
            if (arguments.at(0).value<RequestId>() == id) {
                return arguments.at(1).value<std::shared_ptr<const RsaResult>>();
            }
        }
        return nullptr;
    }

    RsaRequest valenceRequest() const
    {
        RsaRequest request;
        request.set = loadPromptSet(kValence).value().set;
        request.hookName = kHook;
        request.pooling = Pooling::Mean;
        request.metric = RdmMetric::Correlation;
        request.permutations = 500;
        request.bootstraps = 50;
        request.seed = 3;
        return request;
    }

    // The CLI's RDM of the same settings, in file order.
    Rdm cliRdm(const QString &name, const QStringList &representExtra, const QString &metric)
    {
        const QString h5 = m_dir.filePath(name + QStringLiteral(".h5"));
        const QString csv = m_dir.filePath(name + QStringLiteral(".csv"));
        const test::ProcessRun represent =
                cli(QStringList{QStringLiteral("represent"), QStringLiteral("--model"), kModel,
                                QStringLiteral("--prompts"), kValence, QStringLiteral("--hook"),
                                kHook, QStringLiteral("--pooling"), QStringLiteral("mean"),
                                QStringLiteral("--no-cache"), QStringLiteral("--out"), h5}
                    << representExtra);
        if (represent.exitCode != 0) {
            qWarning() << represent.err;
            return Rdm();
        }
        const test::ProcessRun rdm =
                cli({QStringLiteral("rdm"), QStringLiteral("--input"), h5,
                     QStringLiteral("--dataset"), QStringLiteral("features"),
                     QStringLiteral("--metric"), metric, QStringLiteral("--out"), csv});
        if (rdm.exitCode != 0) {
            qWarning() << rdm.err;
            return Rdm();
        }
        return readRdmCsv(csv).value();
    }

    static double largestDifference(const RsaResult &result, const Rdm &fileOrder)
    {
        double worst = 0.0;
        const int64_t n = result.rdm.size();
        for (int64_t a = 0; a < n; ++a) {
            for (int64_t b = a + 1; b < n; ++b) {
                const double engine = result.rdm.at(a, b);
                const double reference = fileOrder.at(result.items[int(a)], result.items[int(b)]);
                worst = std::max(worst, std::abs(engine - reference));
            }
        }
        return worst;
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
    }

    void rawRdmEqualsCli()
    {
        Status status;
        const auto result = run(valenceRequest(), &status);
        QVERIFY2(result, qPrintable(status.message()));
        QCOMPARE(result->rdm.size(), 40);
        QCOMPARE(result->featureCount, 192);
        // Grouped by condition: the 20 positive items first.
        QCOMPARE(result->conditions.count(QStringLiteral("positive")), 20);
        QCOMPARE(result->conditions.first(), QStringLiteral("positive"));
        QCOMPARE(result->conditions.last(), QStringLiteral("negative"));
        const Rdm reference = cliRdm(QStringLiteral("raw"), {}, QStringLiteral("correlation"));
        QCOMPARE(reference.size(), 40);
        const double worst = largestDifference(*result, reference);
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        QCOMPARE(result->models.size(), 1);
        QCOMPARE(result->mdsX.size(), size_t(40));

        // The statistic, permutation p and bootstrap CI equal `gyrus-cli rsa` on the same RDMs.
        const QString measured = m_dir.filePath(QStringLiteral("measured.csv"));
        const QString model = m_dir.filePath(QStringLiteral("model.csv"));
        QVERIFY(writeRdmCsv(result->rdm, measured).isOk());
        QVERIFY(writeRdmCsv(result->models[0].model, model).isOk());
        const test::ProcessRun rsa =
                cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), measured,
                     QStringLiteral("--rdm"), model, QStringLiteral("--permutations"),
                     QStringLiteral("500"), QStringLiteral("--bootstraps"), QStringLiteral("50"),
                     QStringLiteral("--seed"), QStringLiteral("3")});
        QVERIFY2(rsa.exitCode == 0, qPrintable(rsa.err));
        const QJsonObject json = QJsonDocument::fromJson(rsa.out).object();
        const RsaComparison &c = result->models[0].comparison;
        QCOMPARE(c.r, json.value(QStringLiteral("r")).toDouble());
        QCOMPARE(c.p, json.value(QStringLiteral("p")).toDouble());
        QCOMPARE(c.ciLow, json.value(QStringLiteral("ci_low")).toDouble());
        QCOMPARE(c.ciHigh, json.value(QStringLiteral("ci_high")).toDouble());
        QVERIFY(c.ciLow <= c.r && c.r <= c.ciHigh);
    }

    void saeFeatureRdmEqualsCli()
    {
        RsaRequest request = valenceRequest();
        request.saeFeatures = true;
        request.metric = RdmMetric::Cosine;
        request.permutations = 0;
        request.bootstraps = 0;
        Status status;
        const auto result = run(request, &status);
        QVERIFY2(result, qPrintable(status.message()));
        QCOMPARE(result->featureCount, 1536);
        const Rdm reference = cliRdm(QStringLiteral("sae"), {QStringLiteral("--sae"), kSae},
                                     QStringLiteral("cosine"));
        QCOMPARE(reference.size(), 40);
        const double worst = largestDifference(*result, reference);
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
    }

    void topKSubsetUsesKFeaturesAndWarns()
    {
        RsaRequest request = valenceRequest();
        request.saeFeatures = true;
        request.subset = RsaFeatureSubset::TopK;
        request.topK = 16;
        request.metric = RdmMetric::Euclidean;
        request.permutations = 100;
        request.bootstraps = 0;
        Status status;
        const auto result = run(request, &status);
        QVERIFY2(result, qPrintable(status.message()));
        QCOMPARE(result->featureCount, 16);
        QCOMPARE(result->features.size(), 16);
        QVERIFY(result->notes.join(QString()).contains(QStringLiteral("circular")));
    }

    void explicitFeaturesOutsideTheSaeFailClearly()
    {
        RsaRequest request = valenceRequest();
        request.saeFeatures = true;
        request.subset = RsaFeatureSubset::Explicit;
        request.features = {5, 99999};
        Status status;
        const auto result = run(request, &status);
        QVERIFY(!result);
        QVERIFY2(status.message().contains(QStringLiteral("99999")), qPrintable(status.message()));
    }

    void cancelStopsThePermutationsWithinASlice()
    {
        RsaRequest request = valenceRequest();
        request.permutations = 2000000;  // minutes of work: only a cancel ends it in time
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        QSignalSpy computed(m_engine.get(), &EngineClient::rsaComputed);
        const RequestId id = m_engine->computeRsa(request);
        // Wait until the permutations run (the comparison stage reports from 40 % on).
        QTRY_VERIFY_WITH_TIMEOUT(
                std::any_of(progress.begin(), progress.end(),
                            [id](const QList<QVariant> &arguments) {
                                return arguments.at(0).value<RequestId>() == id &&
                                       arguments.at(1).value<JobProgress>().fraction > 0.41;
                            }),
                60000);
        QElapsedTimer sinceCancel;
        sinceCancel.start();
        m_engine->cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 10000);
        QVERIFY2(sinceCancel.elapsed() < 3000, qPrintable(QString::number(sinceCancel.elapsed())));
        QCOMPARE(test::statusOf(finished, id).code(), Status::Code::Cancelled);
        QVERIFY(computed.isEmpty());
    }

    void interventionWithAnEmptyClampSetEqualsThePlainRdmExactly()
    {
        RsaRequest request = valenceRequest();
        request.saeFeatures = true;
        request.permutations = 200;
        request.bootstraps = 0;
        request.intervention = true;
        ClampSet disabled;
        disabled.clamps << FeatureClamp{1165, ClampMode::Clamp, 50.0, ClampPositions::All, false};
        request.clamps = disabled;  // only a disabled entry: nothing is applied
        Status status;
        const auto result = run(request, &status);
        QVERIFY2(result, qPrintable(status.message()));
        QVERIFY(result->hasIntervention);
        QVERIFY(result->clampedRdm.condensed() == result->rdm.condensed());
        QCOMPARE(result->models[0].clampedComparison.r, result->models[0].comparison.r);
        QCOMPARE(result->models[0].clampedComparison.p, result->models[0].comparison.p);
    }

    void aStrongClampReshapesTheRdm()
    {
        RsaRequest request = valenceRequest();
        request.permutations = 200;
        request.bootstraps = 0;
        request.intervention = true;
        request.clamps.clamps << FeatureClamp{1165, ClampMode::Clamp, 50.0};
        Status status;
        const auto result = run(request, &status);
        QVERIFY2(result, qPrintable(status.message()));
        double largest = 0.0;
        for (size_t k = 0; k < result->rdm.condensed().size(); ++k) {
            largest = std::max(largest, double(std::abs(result->clampedRdm.condensed()[k] -
                                                        result->rdm.condensed()[k])));
        }
        QVERIFY2(largest > 0.01, qPrintable(QString::number(largest)));
        QVERIFY(std::isfinite(result->models[0].clampedComparison.r));
        QVERIFY(result->models[0].clampedComparison.r != result->models[0].comparison.r);

        // Upstream of the clamp the geometry cannot change, and the result says so.
        request.hookName = QStringLiteral("blocks.1.hook_resid_post");
        const auto upstream = run(request, &status);
        QVERIFY2(upstream, qPrintable(status.message()));
        QVERIFY(upstream->clampedRdm.condensed() == upstream->rdm.condensed());
        QVERIFY(upstream->notes.join(QString()).contains(QStringLiteral("cannot change")));
    }

    void interventionRefusesAFeatureOutsideTheSae()
    {
        RsaRequest request = valenceRequest();
        request.intervention = true;
        request.clamps.clamps << FeatureClamp{5000, ClampMode::Clamp, 1.0};
        Status status;
        QVERIFY(!run(request, &status));
        QVERIFY2(status.message().contains(QStringLiteral("5000")), qPrintable(status.message()));
    }

    void cleanupTestCase() { m_engine.reset(); }
};

QTEST_MAIN(TestRsaEngine)
#include "tst_rsa_engine.moc"
