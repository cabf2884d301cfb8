// The feature inspector's engine requests on the demo model and SAE over a small slice of the
// held-out corpus: details agree with a direct recomputation, the scan runs in slices that let
// other requests through, cancels within a slice, and is saved and loaded again.

#include "gpu/engine/torch_engine_client.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTextStream>
#include <QtTest>

#include <ATen/ATen.h>

using namespace gyrus;
using gyrus::test::hasFinished;
using gyrus::test::statusOf;

namespace {

constexpr int kContext = 128;

// Loads the demo model and SAE into `engine`; false (with a failed QVERIFY) on error.
bool loadDemo(gpu::TorchEngineClient &engine)
{
    const Status loaded = test::loadDemo(engine);
    if (!loaded.isOk()) {
        qWarning("%s", qPrintable(loaded.message()));
    }
    return loaded.isOk();
}

FeatureDetailsPtr detailsFrom(const QSignalSpy &ready, RequestId id)
{
    for (const QList<QVariant> &args : ready) {
        if (args.at(0).value<RequestId>() == id) {
            return args.at(1).value<FeatureDetailsPtr>();
        }
    }
    return nullptr;
}

}  // namespace

class TestFeatureInspectorEngine : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_corpus;    // the first lines of the held-out text
    QString m_scanFile;  // where the first scan is saved
    std::unique_ptr<gpu::TorchEngineClient> m_engine;
    std::unique_ptr<gpu::LanguageModel> m_model;  // for recomputing on the test thread
    std::shared_ptr<gpu::detail::SaeModule> m_sae;

    // Scans m_corpus with `budget` tokens on m_engine and waits for it.
    void scan(qint64 budget, const QString &savePath)
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::corpusScanReady);
        CorpusScanRequest request;
        request.corpusPath = m_corpus;
        request.tokenBudget = budget;
        request.contextLength = kContext;
        request.savePath = savePath;
        const RequestId id = m_engine->scanCorpus(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 120000);
        QVERIFY2(statusOf(finished, id).isOk(), qPrintable(statusOf(finished, id).message()));
        QCOMPARE(ready.count(), 1);
        const auto summary = ready.at(0).at(1).value<CorpusScanSummary>();
        QVERIFY(summary.scannedTokens > 0);
        QCOMPARE(summary.features, 1536);
        QCOMPARE(summary.savedPath, savePath);
    }

    FeatureDetailsPtr details(int feature, Status *status = nullptr)
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::featureDetailsReady);
        const RequestId id = m_engine->featureDetails(feature);
        if (!QTest::qWaitFor([&] { return hasFinished(finished, id); }, 30000)) {
            return nullptr;
        }
        if (status) {
            *status = statusOf(finished, id);
        }
        return detailsFrom(ready, id);
    }

private Q_SLOTS:

    void initTestCase()
    {
        QFile heldout(test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly | QIODevice::Text));
        m_corpus = m_dir.filePath(QStringLiteral("slice.txt"));
        QFile slice(m_corpus);
        QVERIFY(slice.open(QIODevice::WriteOnly | QIODevice::Text));
        for (int line = 0; line < 300 && !heldout.atEnd(); ++line) {
            slice.write(heldout.readLine());
        }
        slice.close();
        m_scanFile = m_dir.filePath(QStringLiteral("scan.bin"));

        m_engine = std::make_unique<gpu::TorchEngineClient>();
        QVERIFY(loadDemo(*m_engine));
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
    }

    void refusesWithoutScanAndOutOfRange()
    {
        Status status;
        QVERIFY(!details(3, &status));
        QCOMPARE(status.code(), Status::Code::NotFound);
        QVERIFY2(status.message().contains(QStringLiteral("scan")), qPrintable(status.message()));
        QVERIFY(!details(1536, &status));
        QCOMPARE(status.code(), Status::Code::InvalidInput);
        QVERIFY2(status.message().contains(QStringLiteral("1536")), qPrintable(status.message()));
        QVERIFY(!details(-1, &status));
        QCOMPARE(status.code(), Status::Code::InvalidInput);

        gpu::TorchEngineClient bare;  // no SAE
        QSignalSpy finished(&bare, &EngineClient::finished);
        const RequestId id = bare.featureDetails(0);
        QTRY_VERIFY(hasFinished(finished, id));
        QCOMPARE(statusOf(finished, id).code(), Status::Code::InvalidInput);
        QVERIFY(statusOf(finished, id).message().contains(QStringLiteral("no model")));
    }

    void topExampleMatchesARecomputedActivation()
    {
        scan(0, m_scanFile);
        QVERIFY(QFile::exists(m_scanFile));
        // The corpus stream the scan saw, to find each example's window.
        const std::vector<int32_t> tokens =
                gpu::encodeTextFile(m_corpus, m_model->tokenizer()).value().tokens;
        const QString hook = m_sae->config().hookName;
        int checked = 0;
        for (int feature = 0; feature < 1536 && checked < 3; feature += 97) {
            const FeatureDetailsPtr d = details(feature);
            QVERIFY(d);
            QCOMPARE(d->feature, feature);
            QCOMPARE(d->histogram.size(), d->bins.size());
            if (d->top.isEmpty()) {
                QCOMPARE(d->maxActivation, 0.0);
                continue;
            }
            const FeatureExampleText &top = d->top.front();
            QCOMPARE(d->maxActivation, top.activation);
            QCOMPARE(top.token, m_model->tokenizer().displayPiece(tokens[size_t(top.tokenIndex)]));
            // Recompute: the window of kContext tokens the scan cut around this token.
            const qint64 start = top.tokenIndex / kContext * kContext;
            const qint64 end = std::min<qint64>(start + kContext, qint64(tokens.size()));
            gpu::ForwardOptions forward;
            forward.captures = {hook};
            forward.logits = false;
            const gpu::FloatTensor h =
                    m_model->forward(std::vector<int>(tokens.begin() + start, tokens.begin() + end),
                                     forward)
                            .value()
                            .activations.at(hook);
            const at::Tensor x = at::from_blob(const_cast<float *>(h.values.data()),
                                               {h.shape[0], h.shape[1]}, at::kFloat);
            const float expected = m_sae->encode(x)[top.tokenIndex - start][feature].item<float>();
            QVERIFY2(std::abs(expected - top.activation) <= 1e-3 * std::max(1.0f, expected),
                     qPrintable(QStringLiteral("feature %1: scan %2, recomputed %3")
                                        .arg(feature)
                                        .arg(top.activation)
                                        .arg(expected)));
            // Density agrees with the histogram's count.
            double counted = 0;
            for (double c : d->histogram) {
                counted += c;
            }
            QVERIFY(std::abs(counted / double(d->scannedTokens) - d->density) < 1e-9);
            ++checked;
        }
        QVERIFY(checked > 0);
    }

    void neighboursAreTheLargestDecoderCosines()
    {
        const int feature = 11;
        const FeatureDetailsPtr d = details(feature);
        QVERIFY(d);
        QCOMPARE(d->neighbours.size(), 10);
        const at::Tensor rows = m_sae->weights().wDec;
        const at::Tensor unit = rows / rows.norm(2, {1}, true);
        at::Tensor cosine = unit.matmul(unit[feature]);
        cosine[feature] = -2;
        const auto best = cosine.topk(10);
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(int64_t(d->neighbours[i].feature), std::get<1>(best)[i].item<int64_t>());
            QVERIFY(std::abs(d->neighbours[i].cosine - std::get<0>(best)[i].item<double>()) < 1e-5);
        }
        QCOMPARE(d->boosted.size(), 10);
        QVERIFY(d->boosted.front().logit >= d->boosted.back().logit);
        QVERIFY(d->suppressed.front().logit <= d->suppressed.back().logit);
        QVERIFY(!d->boosted.front().token.isEmpty());
    }

    void savedScanLoadsAgain()
    {
        const FeatureDetailsPtr before = details(194);
        QVERIFY(before);
        gpu::TorchEngineClient second;
        QVERIFY(loadDemo(second));
        QSignalSpy finished(&second, &EngineClient::finished);
        QSignalSpy ready(&second, &EngineClient::corpusScanReady);
        const RequestId id = second.loadCorpusScan(m_scanFile);
        QTRY_VERIFY(hasFinished(finished, id));
        QVERIFY2(statusOf(finished, id).isOk(), qPrintable(statusOf(finished, id).message()));
        QVERIFY(ready.at(0).at(1).value<CorpusScanSummary>().loadedFromFile);
        QSignalSpy details(&second, &EngineClient::featureDetailsReady);
        const RequestId asked = second.featureDetails(194);
        QTRY_VERIFY(hasFinished(finished, asked));
        const FeatureDetailsPtr after = detailsFrom(details, asked);
        QVERIFY(after);
        QCOMPARE(after->density, before->density);
        QCOMPARE(after->top.size(), before->top.size());
        for (int i = 0; i < before->top.size(); ++i) {
            QCOMPARE(after->top[i].activation, before->top[i].activation);
            QCOMPARE(after->top[i].before, before->top[i].before);
        }

        // A damaged file is refused with its name.
        const QString broken = m_dir.filePath(QStringLiteral("broken.bin"));
        QFile file(broken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not a scan");
        file.close();
        const RequestId bad = second.loadCorpusScan(broken);
        QTRY_VERIFY(hasFinished(finished, bad));
        QCOMPARE(statusOf(finished, bad).code(), Status::Code::InvalidInput);
        QVERIFY(statusOf(finished, bad).message().contains(broken));

        // The demo SAE's shipped scan fits the demo SAE by its fingerprint, whatever the path
        // (datasets/demo/make_demo.sh step 4 remakes it when the SAE changes).
        const RequestId shipped = second.loadCorpusScan(
                test::sourcePath(QStringLiteral("datasets/demo/sae/gyrus_scan.bin")));
        QTRY_VERIFY(hasFinished(finished, shipped));
        QVERIFY2(statusOf(finished, shipped).isOk(),
                 qPrintable(statusOf(finished, shipped).message()));
        const CorpusScanSummary demo = ready.last().at(1).value<CorpusScanSummary>();
        QVERIFY(demo.scannedTokens > 40000);
        QVERIFY(demo.densestFeature >= 0);
    }

    void aShortRequestFinishesWhileTheScanRuns()
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        CorpusScanRequest request;
        request.corpusPath = m_corpus;
        const RequestId scan = m_engine->scanCorpus(request);
        // Queued after the scan: it runs between the scan's slices, not after the whole scan.
        GenerateRequest generate;
        generate.prompt = QStringLiteral("The jury said");
        generate.options.maxNewTokens = 2;
        const RequestId shortOne = m_engine->generate(generate);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, scan), 120000);
        QVERIFY(statusOf(finished, scan).isOk());
        QVERIFY(statusOf(finished, shortOne).isOk());
        int shortAt = -1;
        int scanAt = -1;
        for (int i = 0; i < finished.count(); ++i) {
            const auto id = finished.at(i).at(0).value<RequestId>();
            shortAt = id == shortOne ? i : shortAt;
            scanAt = id == scan ? i : scanAt;
        }
        QVERIFY(shortAt >= 0 && shortAt < scanAt);
        int scanProgress = 0;
        for (const QList<QVariant> &args : progress) {
            scanProgress += args.at(0).value<RequestId>() == scan ? 1 : 0;
        }
        QVERIFY(scanProgress > 0);
    }

    void cancelStopsTheScanWithinASlice()
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy progress(m_engine.get(), &EngineClient::progress);
        QSignalSpy ready(m_engine.get(), &EngineClient::corpusScanReady);
        CorpusScanRequest request;
        request.corpusPath = m_corpus;
        request.contextLength = 32;  // more, smaller batches: many slices
        const RequestId scan = m_engine->scanCorpus(request);
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(progress.begin(), progress.end(),
                                             [scan](const QList<QVariant> &args) {
                                                 return args.at(0).value<RequestId>() == scan &&
                                                        args.at(1).value<JobProgress>().fraction >
                                                                0;
                                             }),
                                 60000);
        QElapsedTimer sinceCancel;
        sinceCancel.start();
        m_engine->cancel(scan);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, scan), 10000);
        // A slice is ~100 ms; allow for a loaded machine.
        QVERIFY2(sinceCancel.elapsed() < 3000, qPrintable(QString::number(sinceCancel.elapsed())));
        QCOMPARE(statusOf(finished, scan).code(), Status::Code::Cancelled);
        QCOMPARE(ready.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestFeatureInspectorEngine)
#include "tst_feature_inspector_engine.moc"
