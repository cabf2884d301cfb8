// TorchEngineClient: the real engine thread with a small random-weight model.

#include "core/hdf5/hdf5_writer.h"
#include "core/sae/sae_checkpoints.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/status_error.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <c10/util/Exception.h>

#include <random>

using namespace gyrus;

namespace {

using gyrus::test::hasFinished;
using gyrus::test::statusOf;

QString streamedText(const QSignalSpy &tokens, RequestId id)
{
    QString text;
    for (const QList<QVariant> &args : tokens) {
        if (args.at(0).value<RequestId>() == id) {
            text += args.at(1).toString();
        }
    }
    return text;
}

}  // namespace

class TestTorchEngine : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_model;

private Q_SLOTS:

    void initTestCase()
    {
        gpu::ModelConfig config;
        config.hiddenSize = 64;
        config.numHiddenLayers = 2;
        config.numAttentionHeads = 4;
        config.numKeyValueHeads = 2;
        config.intermediateSize = 128;
        config.vocabSize = 4096;  // the demo tokenizer's
        config.tieWordEmbeddings = true;
        m_model = m_dir.filePath(QStringLiteral("tiny"));
        QVERIFY(gpu::writeRandomLlama(m_model, config, 11).isOk());
        QVERIFY(QFile::copy(
                test::sourcePath(QStringLiteral("datasets/demo/tokenizer/tokenizer.model")),
                m_model + QStringLiteral("/tokenizer.model")));
    }

    void loadsOnTheEngineThreadAndReportsTheCard()
    {
        gpu::TorchEngineClient engine;
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        QSignalSpy finished(&engine, &EngineClient::finished);
        const RequestId id =
                engine.loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 30000);
        QVERIFY2(statusOf(finished, id).isOk(), qPrintable(statusOf(finished, id).message()));
        QCOMPARE(loaded.count(), 1);
        const auto card = loaded.at(0).at(1).value<ModelInfo>();
        QCOMPARE(card.name, QStringLiteral("tiny"));
        QCOMPARE(card.layers, 2);
        QCOMPARE(card.dModel, 64);
        QCOMPARE(card.kvHeads, 2);
        QCOMPARE(card.vocabSize, 4096);
        QVERIFY(card.parameters > 0);
        QVERIFY(card.hookNames.contains(QStringLiteral("blocks.1.hook_resid_post")));
        // The family facts reach the card the dock shows.
        QCOMPARE(card.family, QStringLiteral("llama"));
        QVERIFY(card.bosRule.contains(QStringLiteral("BOS")));
        QVERIFY(card.quirks.contains(QStringLiteral("grouped-query attention (2 kv heads)")));
        QVERIFY(!card.centringApplies);
        QTRY_COMPARE(engine.currentModel().name, QStringLiteral("tiny"));
    }

    void failedLoadKeepsTheCurrentModel()
    {
        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        // The good load finishes before the bad one is asked (both carry the tag "load-model",
        // so a bad load queued behind it could supersede it and leave nothing to keep).
        const RequestId good =
                engine.loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, good), 30000);
        QVERIFY2(statusOf(finished, good).isOk(), qPrintable(statusOf(finished, good).message()));
        QCOMPARE(engine.currentModel().name, QStringLiteral("tiny"));
        const RequestId bad = engine.loadModel(ModelSpec{m_dir.filePath(QStringLiteral("nowhere")),
                                                         QStringLiteral("cpu"), Dtype::Float32});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, bad), 30000);
        const Status badStatus = statusOf(finished, bad);
        QVERIFY(!badStatus.isOk());
        QVERIFY2(badStatus.message().contains(QStringLiteral("nowhere")),
                 qPrintable(badStatus.message()));
        // The failed load replaced nothing: the card and the engine's model are the good one's.
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(engine.currentModel().name, QStringLiteral("tiny"));
        const RequestId generation =
                engine.generate(GenerateRequest{QStringLiteral("The jury"), {3, 0.0, 1.0, 0, 0}});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, generation), 30000);
        QVERIFY2(statusOf(finished, generation).isOk(),
                 qPrintable(statusOf(finished, generation).message()));
    }

    // An SAE trained on another model loads with a warning on its card; one whose d_in or hook
    // does not fit is refused with a message, and the SAE loaded before stays.
    void saeThatDoesNotFitKeepsTheCurrentSae()
    {
        SaeConfig config;
        config.architecture = SaeArchitecture::Relu;
        config.dIn = 64;
        config.dSae = 128;
        config.hookName = QStringLiteral("blocks.1.hook_resid_post");
        config.modelName = QStringLiteral("gemma-2-2b");
        const gpu::detail::SaeModule module(config, {at::randn({64, 128}),
                                                     at::randn({128}),
                                                     at::randn({128, 64}),
                                                     at::randn({64}),
                                                     {}});
        const QString otherModel = m_dir.filePath(QStringLiteral("gemma_sae"));
        QVERIFY(gpu::saveSae(module, otherModel).isOk());

        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy loaded(&engine, &EngineClient::saeLoaded);
        engine.loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        const RequestId first = engine.loadSae(SaeSpec{otherModel});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, first), 30000);
        QVERIFY2(statusOf(finished, first).isOk(), qPrintable(statusOf(finished, first).message()));
        const auto card = loaded.at(0).at(1).value<SaeInfo>();
        QCOMPARE(card.warnings.size(), 1);
        QVERIFY2(card.warnings[0].contains(QLatin1String("gemma-2-2b")) &&
                         card.warnings[0].contains(QLatin1String("tiny")),
                 qPrintable(card.warnings[0]));

        const QString narrow =
                test::dataPath(QStringLiteral("sae/published/saelens_v6_meta_jumprelu"));
        const RequestId second = engine.loadSae(SaeSpec{narrow});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, second), 30000);
        const Status refused = statusOf(finished, second);
        QVERIFY(!refused.isOk());
        QVERIFY2(refused.message().contains(narrow) &&
                         refused.message().contains(QLatin1String("blocks.5.hook_resid_post")) &&
                         refused.message().contains(QLatin1String("d_in is 16")),
                 qPrintable(refused.message()));
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(engine.currentSae().path, otherModel);
    }

    void generateWithoutModelIsBadInput()
    {
        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        const RequestId id =
                engine.generate(GenerateRequest{QStringLiteral("The jury"), {5, 0.0, 1.0, 0, 0}});
        QTRY_VERIFY(hasFinished(finished, id));
        QCOMPARE(statusOf(finished, id).code(), Status::Code::InvalidInput);
        QVERIFY(statusOf(finished, id).message().contains(QStringLiteral("no model")));
    }

    void greedyGenerationStreamsDeterministically()
    {
        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy tokens(&engine, &EngineClient::tokenGenerated);
        engine.loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        GenerateRequest request{QStringLiteral("The jury said"), {12, 0.0, 1.0, 0, 0}};
        const RequestId first = engine.generate(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, first), 30000);
        QVERIFY(statusOf(finished, first).isOk());
        const RequestId second = engine.generate(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, second), 30000);
        const QString a = streamedText(tokens, first);
        QVERIFY(!a.isEmpty());
        QCOMPARE(streamedText(tokens, second), a);
        // Tokens arrive one at a time, on this thread.
        int firstCount = 0;
        for (const QList<QVariant> &args : tokens) {
            firstCount += args.at(0).value<RequestId>() == first ? 1 : 0;
        }
        QVERIFY(firstCount >= 2);
    }

    void cancelStopsGeneration()
    {
        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy tokens(&engine, &EngineClient::tokenGenerated);
        engine.loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        const RequestId id =
                engine.generate(GenerateRequest{QStringLiteral("The"), {100000, 1.0, 1.0, 0, 3}});
        QTRY_VERIFY_WITH_TIMEOUT(tokens.count() >= 3, 30000);
        engine.cancel(id);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 10000);
        QCOMPARE(statusOf(finished, id).code(), Status::Code::Cancelled);
        QVERIFY(tokens.count() < 100000);
    }

    void destroyingWhileBusyShutsDownCleanly()
    {
        auto engine = std::make_unique<gpu::TorchEngineClient>();
        QSignalSpy tokens(engine.get(), &EngineClient::tokenGenerated);
        engine->loadModel(ModelSpec{m_model, QStringLiteral("cpu"), Dtype::Float32});
        engine->generate(GenerateRequest{QStringLiteral("The"), {100000, 1.0, 1.0, 0, 3}});
        QTRY_VERIFY_WITH_TIMEOUT(tokens.count() >= 1, 30000);
        QElapsedTimer clock;
        clock.start();
        engine.reset();  // cancels, frees the model on its thread, joins
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    }

    void trainsAnSaeInSlicesPausesAndResumes()
    {
        // Activations with a planted sparse structure: 8 directions in d = 16.
        const QString activations = m_dir.filePath(QStringLiteral("acts.h5"));
        {
            const int rows = 4096;
            const int d = 16;
            std::vector<float> data(size_t(rows) * d, 0.0f);
            std::mt19937 rng(3);
            std::uniform_int_distribution<int> pick(0, 7);
            std::normal_distribution<float> magnitude(2.0f, 0.5f);
            for (int r = 0; r < rows; ++r) {
                const int a = pick(rng);
                data[size_t(r) * d + a] += magnitude(rng);
                data[size_t(r) * d + 8 + (a + 3) % 8] += magnitude(rng);
            }
            auto writer = Hdf5Writer::createRows(activations);
            QVERIFY(writer.isOk());
            QVERIFY(writer.value()
                            ->createDataset(QStringLiteral("activations"),
                                            Hdf5Writer::Type::Float32, rows, d)
                            .isOk());
            QVERIFY(writer.value()
                            ->writeRows(QStringLiteral("activations"), 0, rows, data.data())
                            .isOk());
            QVERIFY(writer.value()->commit().isOk());
        }
        gpu::TorchEngineClient engine;
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy progress(&engine, &EngineClient::saeTrainingProgress);
        QSignalSpy ended(&engine, &EngineClient::saeTrainingEnded);
        SaeTrainRequest request;
        request.activationsPath = activations;
        request.sae.hookName = QStringLiteral("blocks.0.hook_resid_post");
        request.sae.architecture = SaeArchitecture::TopK;
        request.sae.dSae = 32;
        request.sae.k = 2;
        request.batchSize = 256;
        request.totalTokens = 256 * 3000;  // long enough that the pause comes first
        request.outDirectory = m_dir.filePath(QStringLiteral("sae"));
        const RequestId first = engine.trainSae(request);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 30000);
        // Interactive work is served while training runs.
        const RequestId quick =
                engine.generate(GenerateRequest{QStringLiteral("x"), {1, 0.0, 1.0, 0, 0}});
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, quick), 10000);
        QVERIFY2(!hasFinished(finished, first), qPrintable(statusOf(finished, first).message()));
        engine.pauseTraining(first);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, first), 10000);
        QVERIFY2(statusOf(finished, first).code() == Status::Code::Cancelled,
                 qPrintable(statusOf(finished, first).message()));
        QCOMPARE(ended.count(), 1);
        const auto paused = ended.at(0).at(1).value<SaeTrainOutcome>();
        QVERIFY(paused.paused);
        QVERIFY(QFileInfo::exists(paused.checkpoint));
        // "Paused at step N" is the step the checkpoint holds, as the run list shows it.
        const QList<SaeRunArtifact> artifacts = findSaeRunArtifacts({request.outDirectory});
        QCOMPARE(artifacts.size(), 1);
        QCOMPARE(artifacts.front().kind, SaeRunArtifact::Kind::Checkpoint);
        QVERIFY(artifacts.front().step > 0);
        QCOMPARE(paused.last.step, artifacts.front().step);

        request.resumeCheckpoint = paused.checkpoint;
        const RequestId second = engine.trainSae(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, second), 60000);
        QVERIFY2(statusOf(finished, second).isOk(),
                 qPrintable(statusOf(finished, second).message()));
        QCOMPARE(ended.count(), 2);
        const auto done = ended.at(1).at(1).value<SaeTrainOutcome>();
        QVERIFY(!done.paused);
        QCOMPARE(done.last.step, qint64(3000));
        QVERIFY2(done.last.explainedVariance > 0.8,
                 qPrintable(QString::number(done.last.explainedVariance)));
        QVERIFY(QFileInfo::exists(request.outDirectory + QStringLiteral("/cfg.json")));
        QVERIFY(QFileInfo::exists(request.outDirectory +
                                  QStringLiteral("/sae_weights.safetensors")));
    }

    void destroyingWhileTrainingShutsDownCleanly()
    {
        const QString activations = m_dir.filePath(QStringLiteral("acts.h5"));
        QVERIFY(QFileInfo::exists(activations));  // written by trainsAnSaeInSlicesPausesAndResumes
        auto engine = std::make_unique<gpu::TorchEngineClient>();
        QSignalSpy progress(engine.get(), &EngineClient::saeTrainingProgress);
        SaeTrainRequest request;
        request.activationsPath = activations;
        request.sae.architecture = SaeArchitecture::TopK;
        request.sae.dSae = 32;
        request.sae.k = 2;
        request.batchSize = 256;
        request.totalTokens = 256 * 100000;
        request.outDirectory = m_dir.filePath(QStringLiteral("sae-abandoned"));
        const RequestId id = engine->trainSae(request);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, 30000);
        engine->pauseTraining(id);  // a pause in flight when the window closes
        engine.reset();             // must not touch destroyed members or hang
        QVERIFY(!QFileInfo::exists(request.outDirectory + QStringLiteral("/cfg.json")));
    }

    void torchErrorsBecomeActionableStatus()
    {
        auto capture = [](auto thrower) {
            try {
                thrower();
            } catch (...) {
                return gpu::statusFromException(std::current_exception());
            }
            return Status::ok();
        };
        const Status oom = capture([] {
            TORCH_CHECK(
                    false,
                    "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes");
        });
        QCOMPARE(oom.code(), Status::Code::OutOfMemory);
        QVERIFY(oom.message().contains(QStringLiteral("smaller batch")));
        const Status shape = capture(
                [] { TORCH_CHECK(false, "shape '[2, 3]' is invalid for input of size 5"); });
        QCOMPARE(shape.code(), Status::Code::Internal);
        QVERIFY(shape.message().startsWith(QStringLiteral("torch: shape")));
        QVERIFY(!shape.message().contains(QLatin1Char('\n')));  // no C++ backtrace
        const Status badAlloc = capture([] { throw std::bad_alloc(); });
        QCOMPARE(badAlloc.code(), Status::Code::OutOfMemory);

        // The same rules through catchingExceptions, with the operation leading the message; a
        // thrown Status comes back as it was.
        const Result<int> forward = gpu::catchingExceptions<int>(QStringLiteral("forward"), []() {
            TORCH_CHECK(false, "shape '[2, 3]' is invalid for input of size 5");
            return 1;
        });
        QCOMPARE(forward.status().code(), Status::Code::Internal);
        QVERIFY2(forward.status().message().startsWith(QStringLiteral("forward: torch: shape")),
                 qPrintable(forward.status().message()));
        const Result<int> generate = gpu::catchingExceptions<int>(
                QStringLiteral("generate"), []() -> int { throw std::bad_alloc(); });
        QCOMPARE(generate.status().code(), Status::Code::OutOfMemory);
        QVERIFY(generate.status().message().startsWith(QStringLiteral("generate: out of memory")));
        const Result<int> thrown = gpu::catchingExceptions<int>(QStringLiteral("x"), []() -> int {
            throw gpu::detail::StatusError(Status::invalidInput(QStringLiteral("bad id 9")));
        });
        QCOMPARE(thrown.status().code(), Status::Code::InvalidInput);
        QCOMPARE(thrown.status().message(), QStringLiteral("bad id 9"));
        QCOMPARE(gpu::catchingExceptions<int>(QStringLiteral("x"), [] { return 7; }).value(), 7);
    }
};

QTEST_GUILESS_MAIN(TestTorchEngine)
#include "tst_torch_engine.moc"
