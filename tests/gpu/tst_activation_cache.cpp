// The activation store's HDF5 cache: a corpus through a model to one hook.

#include "core/hdf5_reader.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/sae/activation_cache.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/test_paths.h"

#include <QFile>
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
