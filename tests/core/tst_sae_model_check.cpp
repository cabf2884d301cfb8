// An SAE against the model it is loaded next to: the hook and d_in must fit (errors), and a
// model_name naming another model is a warning that names both.

#include "core/sae/sae_model_check.h"

#include <QTest>

using namespace gyrus;

namespace {

ModelInfo gpt2()
{
    ModelInfo model;
    model.name = QStringLiteral("gpt2");
    model.path = QStringLiteral("/models/openai-community/gpt2");
    model.dModel = 768;
    model.hookNames = {QStringLiteral("hook_embed"), QStringLiteral("blocks.8.hook_resid_pre"),
                       QStringLiteral("blocks.8.hook_resid_post")};
    return model;
}

SaeInfo resJb()
{
    SaeInfo sae;
    sae.path = QStringLiteral("/saes/gpt2-small-res-jb/blocks.8.hook_resid_pre");
    sae.name = QStringLiteral("blocks.8.hook_resid_pre");
    sae.hookName = QStringLiteral("blocks.8.hook_resid_pre");
    sae.dIn = 768;
    sae.modelName = QStringLiteral("gpt2-small");
    return sae;
}

}  // namespace

class TestSaeModelCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:

    void sameModel_data()
    {
        QTest::addColumn<QString>("saeModel");
        QTest::addColumn<QString>("modelPath");
        QTest::addColumn<bool>("same");
        QTest::newRow("TransformerLens alias") << "gpt2-small"
                                               << "/m/gpt2" << true;
        QTest::newRow("organisation") << "gpt2-small"
                                      << "/m/openai-community/gpt2" << true;
        QTest::newRow("Meta- prefix") << "meta-llama/Llama-3.1-8B"
                                      << "/hf/Meta-Llama-3.1-8B" << true;
        QTest::newRow("-hf suffix, case") << "Llama-2-7b-hf"
                                          << "/m/llama-2-7b" << true;
        QTest::newRow("hub cache snapshot")
                << "gemma-2-2b"
                << "/c/models--google--gemma-2-2b/snapshots/0123abcd" << true;
        QTest::newRow("Gyrus-trained (a path)") << "datasets/demo/model"
                                                << "/src/datasets/demo/model" << true;
        QTest::newRow("no model_name") << ""
                                       << "/m/anything" << true;
        QTest::newRow("instruction-tuned twin") << "gemma-2-2b"
                                                << "/m/gemma-2-2b-it" << false;
        QTest::newRow("deduped or not") << "pythia-70m-deduped"
                                        << "/m/pythia-70m" << false;
        QTest::newRow("another family") << "gpt2-small"
                                        << "/m/gemma-2-2b" << false;
    }

    void sameModel()
    {
        QFETCH(QString, saeModel);
        QFETCH(QString, modelPath);
        QFETCH(bool, same);
        QCOMPARE(gyrus::sameModel(saeModel, modelPath), same);
    }

    void fittingSaePasses()
    {
        const SaeModelCheck check = checkSaeAgainstModel(resJb(), gpt2());
        QVERIFY(check.ok());
        QVERIFY(check.warnings.isEmpty());
    }

    void missingHookAndWidthAreErrors()
    {
        SaeInfo sae = resJb();
        sae.hookName = QStringLiteral("blocks.20.hook_resid_post");
        sae.dIn = 2304;
        const SaeModelCheck check = checkSaeAgainstModel(sae, gpt2());
        QCOMPARE(check.errors.size(), 2);
        QVERIFY(check.errors[0].contains(sae.path) &&
                check.errors[0].contains(QLatin1String("blocks.20.hook_resid_post")) &&
                check.errors[0].contains(QLatin1String("gpt2")));
        QVERIFY(check.errors[1].contains(QLatin1String("2304")) &&
                check.errors[1].contains(QLatin1String("768")));
    }

    void otherModelIsAWarningNamingBoth()
    {
        SaeInfo sae = resJb();
        sae.modelName = QStringLiteral("pythia-160m");
        const SaeModelCheck check = checkSaeAgainstModel(sae, gpt2());
        QVERIFY(check.ok());
        QCOMPARE(check.warnings.size(), 1);
        QVERIFY(check.warnings[0].contains(QLatin1String("pythia-160m")) &&
                check.warnings[0].contains(QLatin1String("gpt2")) &&
                check.warnings[0].contains(sae.path));
    }

    void noModelNoMessages()
    {
        SaeInfo sae = resJb();
        sae.dIn = 3;
        const SaeModelCheck check = checkSaeAgainstModel(sae, ModelInfo());
        QVERIFY(check.ok() && check.warnings.isEmpty());
    }

    void attentionHeadHooksSkipTheWidthCheck()
    {
        SaeInfo sae = resJb();
        sae.hookName = QStringLiteral("blocks.8.attn.hook_z");
        sae.dIn = 2048;
        ModelInfo model = gpt2();
        model.hookNames << sae.hookName;
        QVERIFY(checkSaeAgainstModel(sae, model).ok());
    }

    void saeWithoutHookWarns()
    {
        SaeInfo sae = resJb();
        sae.hookName.clear();
        const SaeModelCheck check = checkSaeAgainstModel(sae, gpt2());
        QVERIFY(check.ok());
        QCOMPARE(check.warnings.size(), 1);
        QVERIFY(check.warnings[0].contains(QLatin1String("no hook point")));
    }
};

QTEST_GUILESS_MAIN(TestSaeModelCheck)
#include "tst_sae_model_check.moc"
