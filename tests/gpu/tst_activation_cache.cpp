// The activation store's HDF5 cache: a corpus through a model to one hook.

#include "core/hdf5/hdf5_reader.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/sae/activations/activation_cache.h"
#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/streaming_activations.h"
#include "gpu/sae/training/sae_trainer.h"
#include "gpu/sae/training/sae_trainer_state.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace gyrus;
using namespace gyrus::gpu;

class TestActivationCache : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LanguageModel> m_model;
    QString m_corpus;
    const QStringList m_lines = {
            QStringLiteral("The jury said the election was conducted well."), QStringLiteral(""),
            QStringLiteral("It was a good day for the town."),
            QStringLiteral("A long line that will be cut into several windows because the context "
                           "length of this test is short, so the store must carry on.")};

private Q_SLOTS:

    void initTestCase()
    {
        const QString dir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, 32, 4).isOk());
        auto model = LanguageModel::load(dir);
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        m_model = std::move(model).value();
        m_corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(m_corpus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(m_lines.join(QLatin1Char('\n')).toUtf8());
    }

    void cachesEveryRealTokenWithItsProvenance()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.1.hook_resid_post");
        options.contextLength = 16;  // the last line needs several windows
        options.batchSequences = 3;
        options.storage = ActivationStorage::Float32;
        options.outPath = m_dir.filePath(QStringLiteral("acts.h5"));
        auto result = cacheActivations(*m_model, options);
        QVERIFY2(result.isOk(), qPrintable(result.status().message()));

        // Every non-BOS token of every non-empty line, once.
        qint64 expectedRows = 0;
        std::vector<int64_t> expectedTokens;
        std::vector<int64_t> expectedDocs;
        int document = 0;
        for (const QString &line : m_lines) {
            if (line.isEmpty()) {
                continue;
            }
            const auto ids = m_model->encode(line).value();
            expectedRows += qint64(ids.size()) - 1;
            for (size_t i = 1; i < ids.size(); ++i) {
                expectedTokens.push_back(ids[i]);
                expectedDocs.push_back(document);
            }
            ++document;
        }
        QCOMPARE(result->rows, expectedRows);
        QCOMPARE(result->columns, 32);
        QCOMPARE(result->documents, 3);

        auto reader = Hdf5Reader::open(options.outPath);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->shape(QStringLiteral("activations")).value(),
                 (std::vector<int64_t>{expectedRows, 32}));
        QCOMPARE(reader.value()->shape(QStringLiteral("tokens")).value(),
                 (std::vector<int64_t>{expectedRows}));
        QCOMPARE(reader.value()->readIntVector(QStringLiteral("tokens")).value(), expectedTokens);
        QCOMPARE(reader.value()->readIntVector(QStringLiteral("doc_index")).value(), expectedDocs);
        const std::vector<int64_t> positions =
                reader.value()->readIntVector(QStringLiteral("position")).value();

        // The first line fits one window: its rows equal a plain forward's capture.
        const auto firstIds = m_model->encode(m_lines.first()).value();
        QVERIFY(firstIds.size() <= 16);
        for (size_t t = 1; t < firstIds.size(); ++t) {
            QCOMPARE(positions[t - 1], int64_t(t - 1));
        }
        // Positions run on across the windows of the long line.
        const auto lastIds = m_model->encode(m_lines.last()).value();
        QVERIFY(lastIds.size() > 16);  // more than one window
        QCOMPARE(positions.back(), int64_t(lastIds.size() - 2));
        ForwardOptions forward;
        forward.captures = {options.hookName};
        forward.logits = false;
        const FloatTensor reference =
                m_model->forward(firstIds, forward).value().activations.at(options.hookName);
        const FloatMatrix cached =
                reader.value()->readFloatMatrix(QStringLiteral("activations")).value();
        double worst = 0.0;
        for (size_t t = 1; t < firstIds.size(); ++t) {
            for (int c = 0; c < 32; ++c) {
                worst = std::max(worst, std::abs(double(cached.values[(t - 1) * 32 + size_t(c)]) -
                                                 double(reference.values[t * 32 + size_t(c)])));
            }
        }
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        QVERIFY(result->normalisationScale > 0);
    }

    void float16HalvesTheFileWithinHalfPrecision()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.1.hook_resid_post");
        options.contextLength = 16;
        options.storage = ActivationStorage::Float32;
        options.outPath = m_dir.filePath(QStringLiteral("f32.h5"));
        auto full = cacheActivations(*m_model, options);
        QVERIFY(full.isOk());
        options.storage = ActivationStorage::Float16;  // the default
        QCOMPARE(ActivationCacheOptions().storage, ActivationStorage::Float16);
        options.outPath = m_dir.filePath(QStringLiteral("f16.h5"));
        auto half = cacheActivations(*m_model, options);
        QVERIFY2(half.isOk(), qPrintable(half.status().message()));
        QCOMPARE(half->rows, full->rows);
        // The scale is estimated before rounding: identical.
        QCOMPARE(half->normalisationScale, full->normalisationScale);
        const FloatMatrix a = Hdf5Reader::open(m_dir.filePath(QStringLiteral("f32.h5")))
                                      .value()
                                      ->readFloatMatrix(QStringLiteral("activations"))
                                      .value();
        const FloatMatrix b = Hdf5Reader::open(options.outPath)
                                      .value()
                                      ->readFloatMatrix(QStringLiteral("activations"))
                                      .value();
        QCOMPARE(a.values.size(), b.values.size());
        double worstRelative = 0;
        bool anyDifferent = false;
        for (size_t i = 0; i < a.values.size(); ++i) {
            const double exact = a.values[i];
            anyDifferent = anyDifferent || exact != double(b.values[i]);
            worstRelative = std::max(worstRelative, std::abs(exact - double(b.values[i])) /
                                                            std::max(std::abs(exact), 1e-3));
        }
        QVERIFY(anyDifferent);                 // really rounded
        QVERIFY2(worstRelative <= 1.0 / 1024,  // half's unit roundoff is 2^-11
                 qPrintable(QString::number(worstRelative)));
        const auto info = inspectActivationFile(options.outPath).value();
        QCOMPARE(info.attributes.value(QStringLiteral("dtype")), QStringLiteral("float16"));
        QCOMPARE(info.attributes.value(QStringLiteral("complete")), QStringLiteral("1"));
        QVERIFY(QFileInfo(options.outPath).size() <
                QFileInfo(m_dir.filePath(QStringLiteral("f32.h5"))).size());
    }

    void interruptedCacheContinuesWhereItStopped()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.1.hook_resid_post");
        options.contextLength = 8;
        options.batchSequences = 2;
        options.outPath = m_dir.filePath(QStringLiteral("whole.h5"));
        auto whole = cacheActivations(*m_model, options);
        QVERIFY(whole.isOk());

        // Cancel after the second batch, then run the same settings again.
        options.outPath = m_dir.filePath(QStringLiteral("resumed.h5"));
        int batches = 0;
        auto stopped = cacheActivations(*m_model, options, [&](double) { return ++batches < 2; });
        QCOMPARE(stopped.status().code(), Status::Code::Cancelled);
        QVERIFY(stopped.status().message().contains(options.outPath));
        const auto partial = inspectActivationFile(options.outPath).value();
        const qint64 rowsDone = partial.attributes.value(QStringLiteral("rows_done")).toLongLong();
        QVERIFY(rowsDone > 0 && rowsDone < whole->rows);
        QCOMPARE(partial.attributes.value(QStringLiteral("complete")), QString());

        auto resumed = cacheActivations(*m_model, options);
        QVERIFY2(resumed.isOk(), qPrintable(resumed.status().message()));
        QCOMPARE(resumed->resumedFromRow, rowsDone);
        QCOMPARE(resumed->rows, whole->rows);
        QCOMPARE(resumed->documents, whole->documents);
        QCOMPARE(resumed->normalisationScale, whole->normalisationScale);
        auto a = Hdf5Reader::open(m_dir.filePath(QStringLiteral("whole.h5"))).value();
        auto b = Hdf5Reader::open(options.outPath).value();
        QCOMPARE(b->readFloatMatrix(QStringLiteral("activations")).value().values,
                 a->readFloatMatrix(QStringLiteral("activations")).value().values);
        for (const QString &name :
             {QStringLiteral("tokens"), QStringLiteral("doc_index"), QStringLiteral("position")}) {
            QCOMPARE(b->readIntVector(name).value(), a->readIntVector(name).value());
        }

        // A finished file is returned as it is.
        auto again = cacheActivations(*m_model, options, [](double) {
            return false;  // never called: nothing left to do
        });
        QVERIFY(again.isOk());
        QCOMPARE(again->resumedFromRow, whole->rows);
        QCOMPARE(again->normalisationScale, whole->normalisationScale);
    }

    void otherSettingsAreRefusedNamingTheAttribute()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.0.hook_resid_post");
        options.contextLength = 16;
        options.outPath = m_dir.filePath(QStringLiteral("settings.h5"));
        QVERIFY(cacheActivations(*m_model, options).isOk());
        options.contextLength = 12;
        auto refused = cacheActivations(*m_model, options);
        QCOMPARE(refused.status().code(), Status::Code::InvalidInput);
        QVERIFY(refused.status().message().contains(options.outPath));
        QVERIFY2(refused.status().message().contains(QStringLiteral("context_length")),
                 qPrintable(refused.status().message()));
        options.contextLength = 16;
        options.hookName = QStringLiteral("blocks.1.hook_resid_post");
        refused = cacheActivations(*m_model, options);
        QVERIFY(refused.status().message().contains(QStringLiteral("hook_name")));
        options.overwrite = true;
        auto replaced = cacheActivations(*m_model, options);
        QVERIFY2(replaced.isOk(), qPrintable(replaced.status().message()));
        QCOMPARE(replaced->resumedFromRow, 0);
        QCOMPARE(inspectActivationFile(options.outPath)
                         .value()
                         .attributes.value(QStringLiteral("hook_name")),
                 options.hookName);

        // A file that is no cache is never written into.
        const QString foreign = m_dir.filePath(QStringLiteral("foreign.h5"));
        QFile file(foreign);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not hdf5");
        file.close();
        options.overwrite = false;
        options.outPath = foreign;
        refused = cacheActivations(*m_model, options);
        QCOMPARE(refused.status().code(), Status::Code::InvalidInput);
        QVERIFY(refused.status().message().contains(foreign));
    }

    // The streaming source serves the rows the cache holds, mixed across documents, in an
    // order that seek() reproduces.
    StreamingActivationOptions streamOptions(int64_t bufferRows, uint64_t seed)
    {
        StreamingActivationOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.1.hook_resid_post");
        options.contextLength = 8;
        options.batchSequences = 2;
        options.bufferRows = bufferRows;
        options.seed = seed;
        return options;
    }

    void streamingServesEveryCachedRowOncePerEpoch()
    {
        ActivationCacheOptions cache;
        cache.corpusPath = m_corpus;
        cache.hookName = QStringLiteral("blocks.1.hook_resid_post");
        cache.contextLength = 8;
        cache.storage = ActivationStorage::Float32;
        cache.outPath = m_dir.filePath(QStringLiteral("stream_reference.h5"));
        auto cached = cacheActivations(*m_model, cache);
        QVERIFY(cached.isOk());
        const FloatMatrix reference = Hdf5Reader::open(cache.outPath)
                                              .value()
                                              ->readFloatMatrix(QStringLiteral("activations"))
                                              .value();
        const at::Tensor expected =
                at::from_blob(const_cast<float *>(reference.values.data()),
                              {cached->rows, int64_t(cached->columns)}, at::kFloat)
                        .clone();

        // A one-row buffer serves epoch 0 exactly: every cached row once, windows reordered.
        auto source = openStreamingActivations(*m_model, streamOptions(1, 5));
        QVERIFY2(source.isOk(), qPrintable(source.status().message()));
        QCOMPARE(source.value()->rows(), cached->rows);
        QCOMPARE(source.value()->columns(), int64_t(cached->columns));
        const at::Tensor epoch = source.value()->next(cached->rows).value();
        auto sortedRows = [](const at::Tensor &rows) {
            return rows.index_select(0, std::get<1>(rows.select(1, 0).sort()));
        };
        QVERIFY(!at::allclose(epoch, expected));  // the window order is shuffled...
        QVERIFY(at::allclose(sortedRows(epoch), sortedRows(expected), 1e-5, 1e-5));  // ...not lost

        // A real buffer mixes rows of consecutive windows; the order is a function of the seed.
        auto a = openStreamingActivations(*m_model, streamOptions(24, 5)).value();
        const at::Tensor first = a->next(90).value();
        QCOMPARE(a->position(), int64_t(90));
        auto b = openStreamingActivations(*m_model, streamOptions(24, 5)).value();
        QVERIFY(b->seek(40).isOk());
        QVERIFY(at::equal(b->next(50).value(), first.narrow(0, 40, 50)));  // bit for bit
        QVERIFY(b->seek(10).isOk());  // backwards: replayed from the start
        QVERIFY(at::equal(b->next(20).value(), first.narrow(0, 10, 20)));
        auto c = openStreamingActivations(*m_model, streamOptions(24, 6)).value();
        QVERIFY(!at::equal(c->next(90).value(), first));
    }

    void streamingTrainingResumesBitForBit()
    {
        SaeTrainingConfig config;
        config.sae.architecture = SaeArchitecture::TopK;
        config.sae.dIn = 32;
        config.sae.dSae = 64;
        config.sae.k = 4;
        config.batchSize = 32;
        config.totalTokens = 32 * 6;
        config.normalisationTokens = 64;
        config.seed = 3;
        auto open = [&] {
            return openStreamingActivations(*m_model, streamOptions(48, 3)).value();
        };
        auto whole = SaeTrainer::create(config, open());
        QVERIFY2(whole.isOk(), qPrintable(whole.status().message()));
        QVERIFY(whole.value()->step(100).isOk());
        QVERIFY(whole.value()->isFinished());

        auto first = SaeTrainer::create(config, open());
        QVERIFY(first.value()->step(3).isOk());
        const QString checkpoint = m_dir.filePath(QStringLiteral("stream_checkpoint"));
        QVERIFY(first.value()->saveCheckpoint(checkpoint).isOk());
        first.value().reset();
        QCOMPARE(SaeTrainer::checkpointConfig(checkpoint).value().seed, config.seed);
        auto resumed = SaeTrainer::resume(checkpoint, open());
        QVERIFY2(resumed.isOk(), qPrintable(resumed.status().message()));
        QVERIFY(resumed.value()->step(100).isOk());
        const gpu::detail::SaeTrainerState &x = whole.value()->state();
        const gpu::detail::SaeTrainerState &y = resumed.value()->state();
        for (size_t i = 0; i < x.parameters().size(); ++i) {
            QVERIFY2(at::equal(x.parameters()[i], y.parameters()[i]), x.parameterNames[i].c_str());
        }
        QCOMPARE(y.sourcePosition, x.sourcePosition);
    }

    void budgetStopsEarly()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.0.hook_resid_pre");
        options.contextLength = 16;
        options.tokenBudget = 11;
        options.outPath = m_dir.filePath(QStringLiteral("budget.h5"));
        auto result = cacheActivations(*m_model, options);
        QVERIFY(result.isOk());
        QCOMPARE(result->rows, 11);
        auto reader = Hdf5Reader::open(options.outPath);
        QCOMPARE(reader.value()->shape(QStringLiteral("doc_index")).value(),
                 (std::vector<int64_t>{11}));
    }

    void refusesUnknownHookAndMissingCorpus()
    {
        ActivationCacheOptions options;
        options.corpusPath = m_corpus;
        options.hookName = QStringLiteral("blocks.9.hook_resid_post");
        options.outPath = m_dir.filePath(QStringLiteral("x.h5"));
        auto bad = cacheActivations(*m_model, options);
        QCOMPARE(bad.status().code(), Status::Code::InvalidInput);
        QVERIFY(bad.status().message().contains(QStringLiteral("blocks.9.hook_resid_post")));
        options.hookName = QStringLiteral("blocks.0.hook_resid_post");
        options.corpusPath = m_dir.filePath(QStringLiteral("nowhere.txt"));
        auto missing = cacheActivations(*m_model, options);
        QVERIFY(!missing.isOk());
        QVERIFY(missing.status().message().contains(QStringLiteral("nowhere.txt")));
    }
};

QTEST_GUILESS_MAIN(TestActivationCache)
#include "tst_activation_cache.moc"
