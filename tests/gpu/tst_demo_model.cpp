// The bundled demo model (datasets/demo/model): it loads, generates deterministically, and
// predicts held-out text better than the unigram and bigram baselines of its training split.

#include "gpu/lm/lm_eval.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_io.h"
#include "tests/support/test_paths.h"

#include <QtTest>

using namespace gyrus;
using namespace gyrus::gpu;

class TestDemoModel : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<LanguageModel> m_model;

private Q_SLOTS:

    void initTestCase()
    {
        auto model = LanguageModel::load(test::sourcePath(QStringLiteral("datasets/demo/model")));
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        m_model = std::move(model).value();
    }

    void isTheDocumentedArchitecture()
    {
        const ModelInfo info = m_model->info();
        QCOMPARE(info.architecture, QStringLiteral("LlamaForCausalLM"));
        QVERIFY(info.layers >= 4 && info.layers <= 8);
        QVERIFY(info.kvHeads < info.heads);  // grouped-query attention
        QVERIFY(info.parameters <= 12'000'000);
        QCOMPARE(info.vocabSize, 4096);
    }

    void beatsTheBigramBaselineOnHeldOutText()
    {
        const Tokenizer &tokenizer = m_model->tokenizer();
        auto train = encodeTextFile(test::sourcePath(QStringLiteral("datasets/corpus/train.txt")),
                                    tokenizer);
        auto heldout = encodeTextFile(
                test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")), tokenizer, 600);
        QVERIFY(train.isOk() && heldout.isOk());
        const NgramBaselines baselines = ngramBaselines(train.value(), heldout.value(),
                                                        tokenizer.vocabSize(), tokenizer.bosId());
        auto loss = languageModelCrossEntropy(*m_model, heldout.value(), 128, 48);
        QVERIFY2(loss.isOk(), qPrintable(loss.status().message()));
        qInfo("held-out CE %.4f, unigram %.4f, bigram %.4f", loss.value(), baselines.unigram,
              baselines.bigram);
        QVERIFY(baselines.bigram < baselines.unigram);
        QVERIFY2(loss.value() < baselines.bigram - 0.2,
                 qPrintable(QStringLiteral("model %1 vs bigram %2")
                                    .arg(loss.value())
                                    .arg(baselines.bigram)));
    }

    void demoSaeFitsTheModel()
    {
        auto info = readSaeInfo(test::sourcePath(QStringLiteral("datasets/demo/sae")));
        QVERIFY2(info.isOk(), qPrintable(info.status().message()));
        QCOMPARE(info->config.dIn, int64_t(m_model->info().dModel));
        QVERIFY(m_model->info().hookNames.contains(info->config.hookName));
        QVERIFY(info->config.dSae >= 8 * info->config.dIn &&
                info->config.dSae <= 16 * info->config.dIn);
        QVERIFY(loadSae(test::sourcePath(QStringLiteral("datasets/demo/sae"))).isOk());
    }

    void greedyGenerationIsDeterministicText()
    {
        GenerateOptions options;
        options.maxNewTokens = 20;
        auto first = m_model->generate(QStringLiteral("The jury said"), options);
        auto second = m_model->generate(QStringLiteral("The jury said"), options);
        QVERIFY(first.isOk() && second.isOk());
        QCOMPARE(first->text, second->text);
        QVERIFY(first->text.count(QLatin1Char(' ')) >= 3);  // words, not one long token run
    }
};

QTEST_GUILESS_MAIN(TestDemoModel)
#include "tst_demo_model.moc"
