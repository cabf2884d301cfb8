// LmTrainer: the language-model trainer behind `gyrus-cli train-lm` (the demo model's recipe).

#include "gpu/lm/lm_eval.h"
#include "gpu/lm/lm_trainer.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cmath>
#include <cstring>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

LmTrainConfig tinyConfig(const Tokenizer &tokenizer)
{
    LmTrainConfig config;
    ModelConfig &m = config.model;
    m.hiddenSize = 32;
    m.numHiddenLayers = 2;
    m.numAttentionHeads = 4;
    m.numKeyValueHeads = 2;
    m.intermediateSize = 64;
    m.vocabSize = tokenizer.vocabSize();
    m.bosTokenId = tokenizer.bosId();
    m.eosTokenId = tokenizer.eosId();
    m.tieWordEmbeddings = true;
    m.rmsNormEps = 1e-5;
    config.contextLength = 32;
    config.batchSize = 8;
    config.steps = 60;
    config.warmupSteps = 10;
    config.learningRate = 1e-2;
    config.evalEvery = 0;
    config.evalSequences = 8;
    config.seed = 7;
    return config;
}

}  // namespace

class TestLmTrainer : public QObject
{
    Q_OBJECT
private:
    Tokenizer m_tokenizer;
    TokenCorpus m_train;
    TokenCorpus m_heldout;

private Q_SLOTS:

    void initTestCase()
    {
        Result<Tokenizer> tokenizer = Tokenizer::load(
                test::sourcePath(QStringLiteral("datasets/demo/tokenizer/tokenizer.model")));
        QVERIFY2(tokenizer.isOk(), qPrintable(tokenizer.status().message()));
        m_tokenizer = tokenizer.value();
        Result<TokenCorpus> train = encodeTextFile(
                test::sourcePath(QStringLiteral("datasets/corpus/train.txt")), m_tokenizer, 400);
        Result<TokenCorpus> heldout = encodeTextFile(
                test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")), m_tokenizer, 100);
        QVERIFY(train.isOk() && heldout.isOk());
        m_train = train.value();
        m_heldout = heldout.value();
        QCOMPARE(m_train.lines, 400);
        QCOMPARE(m_train.tokens.front(), m_tokenizer.bosId());  // every line starts with BOS
    }

    void learningRateWarmsUpThenDecays()
    {
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.steps = 1000;
        config.warmupSteps = 100;
        config.learningRate = 1e-3;
        config.minLearningRateFraction = 0.1;
        auto trainer = LmTrainer::create(config, &m_train, &m_heldout);
        QVERIFY(trainer.isOk());
        QCOMPARE(trainer.value()->learningRateAt(0), 1e-5);
        QCOMPARE(trainer.value()->learningRateAt(99), 1e-3);
        QVERIFY(qAbs(trainer.value()->learningRateAt(550) - 0.55e-3) < 1e-9);  // cosine midpoint
        QVERIFY(qAbs(trainer.value()->learningRateAt(1000) - 1e-4) < 1e-12);   // floor
    }

    void lossFallsBelowUnigramBaseline()
    {
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.steps = 400;
        auto created = LmTrainer::create(config, &m_train, &m_heldout);
        QVERIFY(created.isOk());
        LmTrainer &trainer = *created.value();
        const double before = trainer.heldoutLoss();
        QVERIFY(std::abs(before - std::log(double(m_tokenizer.vocabSize()))) < 0.5);  // ~uniform
        double firstLoss = 0.0;
        double lastLoss = 0.0;
        Result<qint64> ran = trainer.run(config.steps, [&](const LmTrainStep &step) {
            if (step.step == 1) {
                firstLoss = step.loss;
            }
            lastLoss = step.loss;
            return true;
        });
        QVERIFY(ran.isOk());
        QCOMPARE(ran.value(), config.steps);
        QVERIFY(trainer.finished());
        const double after = trainer.heldoutLoss();
        const NgramBaselines baselines =
                ngramBaselines(m_train, m_heldout, m_tokenizer.vocabSize(), m_tokenizer.bosId());
        QVERIFY2(lastLoss < firstLoss - 1.0,
                 qPrintable(QStringLiteral("%1 -> %2").arg(firstLoss).arg(lastLoss)));
        QVERIFY2(after < baselines.unigram, qPrintable(QStringLiteral("held-out %1, unigram %2")
                                                               .arg(after)
                                                               .arg(baselines.unigram)));
        QVERIFY(baselines.bigram < baselines.unigram);
    }

    void callbackCanStopTraining()
    {
        LmTrainConfig config = tinyConfig(m_tokenizer);
        auto trainer = LmTrainer::create(config, &m_train, nullptr);
        QVERIFY(trainer.isOk());
        Result<qint64> ran = trainer.value()->run(
                config.steps, [](const LmTrainStep &step) { return step.step < 3; });
        QVERIFY(ran.isOk());
        QCOMPARE(ran.value(), 3);
        QCOMPARE(trainer.value()->stepsDone(), 3);
    }

    void resumeContinuesBitForBit()
    {
        QTemporaryDir dir;
        const QString checkpoint = dir.filePath(QStringLiteral("ckpt.safetensors"));
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.steps = 12;
        std::vector<double> straight;
        {
            auto trainer = LmTrainer::create(config, &m_train, nullptr);
            QVERIFY(trainer.isOk());
            trainer.value()->run(config.steps, [&](const LmTrainStep &s) {
                straight.push_back(s.loss);
                return true;
            });
        }
        std::vector<double> resumed;
        {
            auto first = LmTrainer::create(config, &m_train, nullptr);
            first.value()->run(5, [&](const LmTrainStep &s) {
                resumed.push_back(s.loss);
                return true;
            });
            QVERIFY(first.value()->saveCheckpoint(checkpoint).isOk());
        }
        {
            LmTrainConfig other = config;
            other.seed = config.seed;  // same run, a fresh process's worth of state
            auto second = LmTrainer::create(other, &m_train, nullptr);
            const Status status = second.value()->resume(checkpoint);
            QVERIFY2(status.isOk(), qPrintable(status.message()));
            QCOMPARE(second.value()->stepsDone(), 5);
            second.value()->run(config.steps, [&](const LmTrainStep &s) {
                resumed.push_back(s.loss);
                return true;
            });
        }
        QCOMPARE(resumed.size(), straight.size());
        for (size_t i = 0; i < straight.size(); ++i) {
            QCOMPARE(resumed[i], straight[i]);  // exact: same weights, moments and batches
        }
    }

    // A checkpoint written when the disk is full (the file-size limit stands in for it): a
    // message naming the file and the reason, the previous checkpoint byte for byte, nothing
    // left beside it, and the previous checkpoint still resumes.
    void checkpointOnAFullDiskKeepsTheOldOne()
    {
        QTemporaryDir dir;
        const QString checkpoint = dir.filePath(QStringLiteral("ckpt.safetensors"));
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.steps = 8;
        auto trainer = LmTrainer::create(config, &m_train, nullptr);
        QVERIFY(trainer.isOk());
        trainer.value()->run(3, [](const LmTrainStep &) { return true; });
        QVERIFY(trainer.value()->saveCheckpoint(checkpoint).isOk());
        QFile saved(checkpoint);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        const QByteArray before = saved.readAll();
        saved.close();
        QVERIFY(before.size() > 64 * 1024);

        trainer.value()->run(5, [](const LmTrainStep &) { return true; });
        Status status;
        {
            test::FileSizeLimit full(16 * 1024);
            status = trainer.value()->saveCheckpoint(checkpoint);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(checkpoint), qPrintable(status.message()));
        QVERIFY2(status.message().contains(QString::fromLocal8Bit(std::strerror(EFBIG))),
                 qPrintable(status.message()));
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QVERIFY(saved.readAll() == before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files),
                 QStringList{QStringLiteral("ckpt.safetensors")});

        auto second = LmTrainer::create(config, &m_train, nullptr);
        QVERIFY(second.isOk());
        const Status resumed = second.value()->resume(checkpoint);
        QVERIFY2(resumed.isOk(), qPrintable(resumed.message()));
        QCOMPARE(second.value()->stepsDone(), 3);
    }

    void resumeRejectsOtherShapes()
    {
        QTemporaryDir dir;
        const QString checkpoint = dir.filePath(QStringLiteral("ckpt.safetensors"));
        LmTrainConfig config = tinyConfig(m_tokenizer);
        auto trainer = LmTrainer::create(config, &m_train, nullptr);
        QVERIFY(trainer.value()->saveCheckpoint(checkpoint).isOk());
        config.model.intermediateSize = 96;
        auto other = LmTrainer::create(config, &m_train, nullptr);
        const Status status = other.value()->resume(checkpoint);
        QCOMPARE(status.code(), Status::Code::InvalidInput);
        QVERIFY(status.message().contains(QStringLiteral("different model configuration")));
    }

    void savedModelLoadsAndScoresTheSame()
    {
        QTemporaryDir dir;
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.steps = 30;
        auto trainer = LmTrainer::create(config, &m_train, &m_heldout);
        QVERIFY(trainer.isOk());
        trainer.value()->run(config.steps, {});
        const double trainerLoss = trainer.value()->heldoutLoss();
        const Status saved =
                trainer.value()->saveHuggingFace(dir.path(), Dtype::Float32, m_tokenizer.path());
        QVERIFY2(saved.isOk(), qPrintable(saved.message()));

        Result<std::unique_ptr<LanguageModel>> model = LanguageModel::load(dir.path());
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        QCOMPARE(model.value()->info().parameters, trainer.value()->parameterCount());
        QVERIFY(model.value()->info().tiedEmbeddings);
        Result<double> loss = languageModelCrossEntropy(*model.value(), m_heldout,
                                                        config.contextLength, config.evalSequences);
        QVERIFY(loss.isOk());
        // The runtime's inference forward and the trainer's differentiable one agree.
        QVERIFY2(std::abs(loss.value() - trainerLoss) < 1e-4,
                 qPrintable(QStringLiteral("%1 vs %2").arg(loss.value()).arg(trainerLoss)));
    }

    void rejectsBadConfigs()
    {
        LmTrainConfig config = tinyConfig(m_tokenizer);
        config.model.numKeyValueHeads = 3;  // 4 heads are not a multiple of 3
        QVERIFY(!LmTrainer::create(config, &m_train, nullptr).isOk());
        TokenCorpus tiny;
        tiny.tokens = {1, 5, 6};
        QVERIFY(!LmTrainer::create(tinyConfig(m_tokenizer), &tiny, nullptr).isOk());
    }

    void baselinesMatchHandCount()
    {
        // Vocabulary 4, BOS 1: train "1 2 3 2 3", held-out "1 2 3".
        TokenCorpus train;
        train.tokens = {1, 2, 3, 2, 3};
        TokenCorpus heldout;
        heldout.tokens = {1, 2, 3};
        const NgramBaselines b = ngramBaselines(train, heldout, 4, 1);
        // Unigram, add-one: counts 0:1 1:1 2:3 3:3 of 8 (BOS never counted as a target).
        const double expected = -(std::log(3.0 / 8.0) + std::log(3.0 / 8.0)) / 2.0;
        QVERIFY(std::abs(b.unigram - expected) < 1e-12);
        QCOMPARE(b.evaluatedTokens, 2);
        QVERIFY(b.bigram < b.unigram);  // 2->3 is certain in training
    }
};

QTEST_GUILESS_MAIN(TestLmTrainer)
#include "tst_lm_trainer.moc"
