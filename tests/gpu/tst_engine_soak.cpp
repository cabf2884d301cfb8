// The real engine under a random stream of requests: model and SAE (re)loads, token analysis,
// corpus scans, SAE training slices with pauses, generation, steering, RSA, cancellations of
// any of them, cancelAll. Every request must end with exactly one finished(id, status), the
// engine must come back to idle, and the process's memory must not grow from one round to the
// next (a leak per request would). The stream is random; the seed is printed
// (GYRUS_SOAK_SEED repeats it).

#include "core/engine_client.h"
#include "core/prompt_set_io.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/activation_file.h"
#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <vector>

#include <malloc.h>

using namespace gyrus;

namespace {

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

// Resident memory in MiB, after handing freed heap pages back (what is left is what is held).
double residentMiB()
{
    malloc_trim(0);
    QFile status(QStringLiteral("/proc/self/statm"));
    if (!status.open(QIODevice::ReadOnly)) {
        return 0;
    }
    const QList<QByteArray> fields = status.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toDouble() * double(sysconf(_SC_PAGESIZE)) / 1048576.0 : 0;
}

}  // namespace

class TestEngineSoak : public QObject
{
    Q_OBJECT

private:
    void issue(RequestId id, const char *what)
    {
        m_issued.insert(id, QString::fromLatin1(what));
        m_order.push_back(id);
    }

    RequestId someEarlierRequest()
    {
        return m_order.empty() ? 0 : m_order[m_random.bounded(quint32(m_order.size()))];
    }

    // One random request (or cancellation) to the engine.
    void fireOne()
    {
        gpu::TorchEngineClient &e = *m_engine;
        switch (m_random.bounded(12)) {
            case 0: {
                ModelSpec spec;
                spec.path = test::demoModelPath();
                issue(e.loadModel(spec), "loadModel");
                break;
            }
            case 1: {
                SaeSpec spec;
                spec.path = test::demoSaePath();
                issue(e.loadSae(spec), "loadSae");
                break;
            }
            case 2: {
                TokenAnalysisRequest request;
                request.texts = {QStringLiteral("The jury said it found the court"),
                                 QStringLiteral("Many people went home early.")};
                issue(e.analyzeText(request), "analyzeText");
                break;
            }
            case 3: {
                CorpusScanRequest request;
                request.corpusPath = m_corpus;
                request.tokenBudget = 400;
                request.contextLength = 32;
                request.topK = 4;
                issue(e.scanCorpus(request), "scanCorpus");
                break;
            }
            case 4: {
                SaeTrainRequest request;
                request.activationsPath = m_activations;
                request.hookName = kHook;
                request.dSae = 64;
                request.k = 8;
                request.batchSize = 128;
                request.tokens = 128 * 40;
                request.seed = m_random.generate();
                request.outDirectory =
                        m_dir.filePath(QStringLiteral("sae-%1").arg(m_random.generate()));
                const RequestId id = e.trainSae(request);
                issue(id, "trainSae");
                m_training.push_back(id);
                break;
            }
            case 5:
                if (!m_training.empty()) {
                    e.pauseTraining(m_training[m_random.bounded(quint32(m_training.size()))]);
                }
                break;
            case 6: {
                GenerateRequest request;
                request.prompt = QStringLiteral("The jury said");
                request.maxNewTokens = 6;
                issue(e.generate(request), "generate");
                break;
            }
            case 7: {
                SteeringRequest request;
                request.prompt = QStringLiteral("The weather today");
                request.maxNewTokens = 5;
                FeatureClamp clamp;
                clamp.feature = int(m_random.bounded(64));
                clamp.value = 4.0;
                request.clamps.clamps = {clamp};
                issue(e.steer(request), "steer");
                break;
            }
            case 8: {
                RsaRequest request;
                request.set = m_promptSet;
                request.hookName = kHook;
                request.permutations = 200;
                request.bootstraps = 10;
                request.seed = m_random.generate();
                issue(e.computeRsa(request), "computeRsa");
                break;
            }
            case 9:
            case 10:
                e.cancel(someEarlierRequest());
                break;
            case 11:
                if (m_random.bounded(4) == 0) {
                    e.cancelAll();
                }
                break;
        }
    }

    // A round of random requests, fired with random gaps, then waited for to the end.
    void round(int requests)
    {
        for (int i = 0; i < requests; ++i) {
            fireOne();
            QTest::qWait(int(m_random.bounded(60)));
        }
        QElapsedTimer clock;
        clock.start();
        auto allFinished = [&] {
            for (auto it = m_issued.cbegin(); it != m_issued.cend(); ++it) {
                if (!m_finished.contains(it.key())) {
                    return false;
                }
            }
            return true;
        };
        while (!allFinished() && clock.elapsed() < 240000) {
            QTest::qWait(20);
        }
        for (auto it = m_issued.cbegin(); it != m_issued.cend(); ++it) {
            QVERIFY2(m_finished.value(it.key()) == 1,
                     qPrintable(QStringLiteral("request %1 (%2) finished %3 times")
                                        .arg(it.key())
                                        .arg(it.value())
                                        .arg(m_finished.value(it.key()))));
        }
        for (auto it = m_finished.cbegin(); it != m_finished.cend(); ++it) {
            QVERIFY2(m_issued.contains(it.key()),
                     qPrintable(QStringLiteral("finished(%1) for no request").arg(it.key())));
        }
    }

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        bool fixed = false;
        const quint32 seed = qEnvironmentVariable("GYRUS_SOAK_SEED").toUInt(&fixed);
        const quint32 used = fixed ? seed : QRandomGenerator::global()->generate();
        m_random.seed(used);
        qInfo("request stream from GYRUS_SOAK_SEED=%u", used);

        m_corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile heldout(test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        QFile corpus(m_corpus);
        QVERIFY(corpus.open(QIODevice::WriteOnly));
        for (int line = 0; line < 40 && !heldout.atEnd(); ++line) {
            corpus.write(heldout.readLine());
        }
        corpus.close();

        // Activations to train on: 2048 rows of the demo model's width, as `gyrus-cli cache`
        // writes them.
        m_activations = m_dir.filePath(QStringLiteral("acts.h5"));
        auto writer = gpu::Hdf5Writer::create(m_activations);
        QVERIFY(writer.isOk());
        std::vector<float> rows(2048 * 192);
        QRandomGenerator values(11);
        for (float &v : rows) {
            v = float(values.generateDouble() * 2.0 - 1.0);
        }
        QVERIFY(writer.value()
                        ->createDataset(QStringLiteral("activations"),
                                        gpu::Hdf5Writer::Type::Float32, 2048, 192)
                        .isOk());
        QVERIFY(writer.value()
                        ->writeRows(QStringLiteral("activations"), 0, 2048, rows.data())
                        .isOk());
        QVERIFY(writer.value()->setAttribute(QStringLiteral("hook_name"), kHook).isOk());
        QVERIFY(writer.value()->close().isOk());

        auto set = loadPromptSet(
                test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")));
        QVERIFY2(set.isOk(), qPrintable(set.status().message()));
        m_promptSet = set.value().set;

        m_engine = std::make_unique<gpu::TorchEngineClient>();
        connect(m_engine.get(), &EngineClient::finished, this,
                [this](RequestId id, const Status &) { ++m_finished[id]; });
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
        m_issued.clear();
        m_finished.clear();
    }

    void everyRequestEndsOnceAndMemoryStaysFlat()
    {
        round(30);  // warm-up: caches, thread pools, allocator arenas
        const double baseline = residentMiB();
        round(30);
        round(30);
        const double after = residentMiB();
        qInfo("%lld requests; resident memory %.1f MiB after the warm-up round, %.1f MiB two "
              "rounds later",
              qint64(m_issued.size()), baseline, after);
        // Two rounds of ~20 requests each: a leak of even a few KiB per request, or any kept
        // model, scan or SAE copy (megabytes each), would show.
        QVERIFY2(after < baseline + 24.0, qPrintable(QString::number(after - baseline)));
        // Still serving.
        GenerateRequest last;
        last.prompt = QStringLiteral("The jury");
        last.maxNewTokens = 3;
        const RequestId id = m_engine->generate(last);
        issue(id, "generate");
        QTRY_VERIFY_WITH_TIMEOUT(m_finished.contains(id), 60000);
    }

    void cleanupTestCase() { m_engine.reset(); }

private:
    QTemporaryDir m_dir;
    QRandomGenerator m_random;
    QString m_corpus;
    QString m_activations;
    PromptSet m_promptSet;
    std::unique_ptr<gpu::TorchEngineClient> m_engine;
    QHash<RequestId, QString> m_issued;
    std::vector<RequestId> m_order;
    std::vector<RequestId> m_training;
    QHash<RequestId, int> m_finished;
};

QTEST_MAIN(TestEngineSoak)
#include "tst_engine_soak.moc"
