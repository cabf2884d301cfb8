// CE-loss recovered: an SAE spliced into the model at its hook.

#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/sae/evaluation/sae_ce_recovery.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int kWidth = 32;

gpu::detail::SaeModule mirrorSae(double scaleDecoder)
{
    return test::mirrorSae(kWidth, scaleDecoder, QStringLiteral("blocks.0.hook_resid_post"));
}

}  // namespace

class TestSaeCeRecovery : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LanguageModel> m_model;
    SpliceEvalOptions m_options;

private Q_SLOTS:

    void initTestCase()
    {
        const QString dir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, kWidth, 8).isOk());
        // A failed load stops the test case here (its message shown) instead of leaving a null
        // model for every test to dereference.
        auto loaded = LanguageModel::load(dir);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        m_model = std::move(loaded).value();
        m_options.corpusPath = test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
        m_options.contextLength = 32;
        m_options.maxSequences = 6;
    }

    void perfectReconstructionRecoversEverything()
    {
        const auto result = evaluateSaeSplice(*m_model, mirrorSae(1.0), m_options);
        QVERIFY2(result.isOk(), qPrintable(result.status().message()));
        QCOMPARE(result->hookName, QStringLiteral("blocks.0.hook_resid_post"));
        QVERIFY(result->tokens > 100);
        QVERIFY(std::abs(result->ceSae - result->ceOriginal) < 1e-4);
        QVERIFY(std::abs(result->ceLossRecovered - 1.0) < 1e-3);
        QVERIFY(result->klSae < 1e-5);
        QVERIFY(std::abs(result->ceZero - result->ceOriginal) > 1e-3);  // zeroing changes the loss
    }

    void errorTermKeptIsExactlyTheIdentity()
    {
        // A poor SAE (half the signal): its splice changes the loss, the error term undoes it.
        const auto result = evaluateSaeSplice(*m_model, mirrorSae(0.5), m_options);
        QVERIFY(result.isOk());
        QVERIFY(result->ceSae != result->ceOriginal);
        QCOMPARE(result->withErrorMaxLogitDifference, 0.0);
        QCOMPARE(result->ceWithError, result->ceOriginal);
    }

    void emptyReconstructionRecoversNothing()
    {
        const auto result = evaluateSaeSplice(*m_model, mirrorSae(0.0), m_options);
        QVERIFY(result.isOk());
        QVERIFY(std::abs(result->ceSae - result->ceZero) < 1e-6);
        QVERIFY(std::abs(result->ceLossRecovered) < 1e-4);
    }

    void refusesMismatchedWidthAndUnknownHook()
    {
        SpliceEvalOptions options = m_options;
        options.hookName = QStringLiteral("blocks.7.hook_resid_post");
        const auto unknown = evaluateSaeSplice(*m_model, mirrorSae(1.0), options);
        QCOMPARE(unknown.status().code(), Status::Code::InvalidInput);
        QVERIFY(unknown.status().message().contains(QStringLiteral("blocks.7")));
    }
};

QTEST_GUILESS_MAIN(TestSaeCeRecovery)
#include "tst_sae_ce_recovery.moc"
