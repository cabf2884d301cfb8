// The SAE training dock on the real engine and the demo model, driven as a user would, with no
// file prepared first: a run streamed from the loaded model over a corpus gives an SAE the engine
// loads; "Create activation cache" writes the file `gyrus-cli cache` writes for the same inputs,
// with stage and ETA on the way; a cancelled cache leaves nothing behind.

#include "core/hdf5/hdf5_reader.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/activations/activation_file.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/sae_training_panel.h"

#include <QDir>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

QString heldout()
{
    return test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
}

// Every dataset and root attribute of two caches, compared exactly.
void verifySameCache(const QString &a, const QString &b)
{
    Result<std::shared_ptr<Hdf5Reader>> left = Hdf5Reader::open(a);
    Result<std::shared_ptr<Hdf5Reader>> right = Hdf5Reader::open(b);
    QVERIFY2(left, qPrintable(left.status().message()));
    QVERIFY2(right, qPrintable(right.status().message()));
    Result<FloatMatrix> x = left.value()->readFloatMatrix(QStringLiteral("activations"));
    Result<FloatMatrix> y = right.value()->readFloatMatrix(QStringLiteral("activations"));
    QVERIFY(x && y);
    QVERIFY(x->rows > 0);
    QCOMPARE(x->rows, y->rows);
    QCOMPARE(x->cols, y->cols);
    QVERIFY(x->values == y->values);
    for (const QString &name :
         {QStringLiteral("tokens"), QStringLiteral("doc_index"), QStringLiteral("position")}) {
        Result<std::vector<int64_t>> u = left.value()->readIntVector(name);
        Result<std::vector<int64_t>> v = right.value()->readIntVector(name);
        QVERIFY2(u && v, qPrintable(name));
        QVERIFY2(u.value() == v.value(), qPrintable(name));
    }
    // Every root attribute (provenance, progress, scale, complete), as strings.
    Result<gpu::ActivationFileInfo> u = gpu::inspectActivationFile(a);
    Result<gpu::ActivationFileInfo> v = gpu::inspectActivationFile(b);
    QVERIFY(u && v);
    QVERIFY(u->attributes.value(QStringLiteral("complete")) == QLatin1String("1"));
    QVERIFY(u->attributes.contains(QStringLiteral("corpus_sha256")));
    QCOMPARE(u->attributes, v->attributes);
}

}  // namespace

class TestSaeTrainingEngine : public QObject
{
    Q_OBJECT
private:
    gpu::TorchEngineClient *m_engine = nullptr;

    std::unique_ptr<widgets::SaeTrainingPanel> makePanel()
    {
        auto panel = std::make_unique<widgets::SaeTrainingPanel>(m_engine);
        panel->setHookNames(m_engine->currentModel().hookNames);
        panel->setDefaultCorpus(heldout());
        return panel;
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = new gpu::TorchEngineClient(this);
        const Status loaded = test::loadDemo(*m_engine, test::DemoParts::Model);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
    }

    void streamedTrainingGivesALoadableSae()
    {
        QTemporaryDir directory;
        auto panel = makePanel();
        QVERIFY(!panel->isStreaming());
        panel->setStreaming(true);
        SaeTrainRequest request = panel->request();
        QCOMPARE(request.corpusPath, heldout());
        QVERIFY(request.streams());
        QCOMPARE(request.sae.hookName, kHook);  // the middle of the residual stream
        request.sae.dSae = 256;
        request.sae.k = 8;
        request.batchSize = 200;
        request.totalTokens = 8000;  // 40 steps
        request.contextLength = 64;
        // A small shuffle buffer and scale sample: the demo model streams a few thousand
        // tokens per second here, and the defaults (65536, 100000) would take minutes.
        request.bufferTokens = 4096;
        request.normalisationTokens = 4096;
        request.outDirectory = directory.filePath(QStringLiteral("sae"));
        panel->setRequest(request);
        QVERIFY(panel->isStreaming());
        panel->start();
        QVERIFY(panel->isTraining());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isTraining(), 180000);

        QVERIFY2(!panel->history().isEmpty(), qPrintable(panel->statusText()));
        const SaeTrainMetrics &last = panel->history().constLast();
        QCOMPARE(last.totalSteps, 40);
        QCOMPARE(last.step, 40);
        QCOMPARE(panel->history().size(), 4);  // a report every 10 steps
        QVERIFY(last.explainedVariance > 0.0);
        QVERIFY(QFileInfo::exists(QDir(request.outDirectory).filePath(QStringLiteral("cfg.json"))));

        QSignalSpy finished(m_engine, &EngineClient::finished);
        const RequestId id = m_engine->loadSae(SaeSpec{request.outDirectory});
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 60000);
        QVERIFY2(test::statusOf(finished, id).isOk(),
                 qPrintable(test::statusOf(finished, id).message()));
        QCOMPARE(m_engine->currentSae().dSae, 256);
        QCOMPARE(m_engine->currentSae().hookName, kHook);
    }

    void createdCacheEqualsTheCli()
    {
        QTemporaryDir directory;
        auto panel = makePanel();
        SaeTrainRequest form = panel->request();
        form.contextLength = 64;
        panel->setRequest(form);
        QStringList messages;
        connect(m_engine, &EngineClient::progress, panel.get(),
                [&messages](RequestId, const JobProgress &p) { messages << p.message; });
        panel->setCacheTokens(5000);
        const QString gui = directory.filePath(QStringLiteral("gui.h5"));
        panel->createCache(gui, false);
        QVERIFY(panel->isCaching());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isCaching(), 120000);
        QVERIFY2(QFileInfo::exists(gui), qPrintable(panel->cacheStatusText()));
        QVERIFY(!QFileInfo::exists(gui + QStringLiteral(".partial")));
        QVERIFY2(panel->cacheStatusText().contains(QLatin1String("Cached 5000")),
                 qPrintable(panel->cacheStatusText()));
        // The dock now trains on the new file.
        QVERIFY(!panel->isStreaming());
        QCOMPARE(panel->request().activationsPath, gui);
        bool staged = false;
        for (const QString &message : messages) {
            staged = staged || (message.contains(QLatin1String("stage 2 of 2")) &&
                                message.contains(QLatin1String("ETA")));
        }
        QVERIFY2(staged, qPrintable(messages.join(QLatin1Char('\n'))));

        const QString cli = directory.filePath(QStringLiteral("cli.h5"));
        const test::ProcessRun run = test::runCli(
                {QStringLiteral("cache"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--corpus"), heldout(), QStringLiteral("--hook"), kHook,
                 QStringLiteral("--context-length"), QStringLiteral("64"),
                 QStringLiteral("--tokens"), QStringLiteral("5000"), QStringLiteral("--out"), cli});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        verifySameCache(gui, cli);
        if (QTest::currentTestFailed()) {
            return;
        }

        // An existing file is not replaced unless asked.
        panel->createCache(gui, false);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isCaching(), 60000);
        QVERIFY2(panel->cacheStatusText().contains(QLatin1String("exists")),
                 qPrintable(panel->cacheStatusText()));
        verifySameCache(gui, cli);
    }

    void cancelledCacheLeavesNoFile()
    {
        QTemporaryDir directory;
        auto panel = makePanel();
        const QString out = directory.filePath(QStringLiteral("cancelled.h5"));
        bool caching = false;
        connect(m_engine, &EngineClient::progress, panel.get(),
                [&caching](RequestId, const JobProgress &p) {
                    caching = caching || p.message.contains(QLatin1String("stage 2 of 2"));
                });
        panel->setCacheTokens(0);  // the whole held-out text: long enough to cancel midway
        panel->createCache(out, false);
        QTRY_VERIFY_WITH_TIMEOUT(caching, 60000);
        QVERIFY(panel->isCaching());
        QVERIFY(QFileInfo::exists(out + QStringLiteral(".partial")));
        panel->cancelCache();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isCaching(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(out + QStringLiteral(".partial")), 10000);
        QVERIFY(!QFileInfo::exists(out));
        QVERIFY2(panel->cacheStatusText().contains(QLatin1String("Cancelled")),
                 qPrintable(panel->cacheStatusText()));
        QVERIFY(QDir(directory.path()).entryList(QDir::Files).isEmpty());
    }
};

QTEST_MAIN(TestSaeTrainingEngine)
#include "tst_sae_training_engine.moc"
