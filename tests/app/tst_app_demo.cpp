// The whole app on the bundled demo model: the real engine thread behind the real window.
// Loads the model through the Model dock, generates, and trains a small SAE through the SAE
// training dock, checking that its charts received points.

#include "app/main_window.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_cache.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/sae_training_panel.h"

#include <QFileInfo>
#include <QPlainTextEdit>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

class TestAppDemo : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_demo = test::sourcePath(QStringLiteral("datasets/demo/model"));

private Q_SLOTS:

    void loadsGeneratesAndTrainsAnSae()
    {
        // Activations for the SAE dock, as `gyrus-cli cache` would write them.
        const QString activations = m_dir.filePath(QStringLiteral("acts.h5"));
        {
            auto model = gpu::LanguageModel::load(m_demo);
            QVERIFY2(model.isOk(), qPrintable(model.status().message()));
            gpu::ActivationCacheOptions options;
            options.corpusPath = test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
            options.hookName = QStringLiteral("blocks.2.hook_resid_post");
            options.tokenBudget = 8192;
            options.outPath = activations;
            QVERIFY(gpu::cacheActivations(*model.value(), options).isOk());
        }

        QSettings settings(m_dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gpu::TorchEngineClient engine;
        app::MainWindow window(&settings, nullptr, &engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        window.modelPanel()->loadModel(m_demo);
        QTRY_COMPARE_WITH_TIMEOUT(engine.currentModel().layers, 4, 30000);
        QTRY_VERIFY(!window.modelPanel()->isBusy());

        window.modelPanel()
                ->findChild<QPlainTextEdit *>(QStringLiteral("prompt"))
                ->setPlainText(QStringLiteral("The jury said"));
        window.modelPanel()->generate();
        QTRY_VERIFY_WITH_TIMEOUT(!window.modelPanel()->isBusy(), 30000);
        QVERIFY2(window.modelPanel()->output().count(QLatin1Char(' ')) >= 3,
                 qPrintable(window.modelPanel()->output()));

        widgets::SaeTrainingPanel *sae = window.saeTrainingPanel();
        // The dock offers the session's model's hooks, the middle residual stream first.
        QCOMPARE(sae->request().sae.hookName, QStringLiteral("blocks.2.hook_resid_post"));
        SaeTrainRequest request;
        request.activationsPath = activations;
        request.sae.hookName = QStringLiteral("blocks.2.hook_resid_post");
        request.sae.architecture = SaeArchitecture::TopK;
        request.sae.dSae = 384;
        request.sae.k = 16;
        request.batchSize = 512;
        request.totalTokens = 512 * 60;
        request.outDirectory = m_dir.filePath(QStringLiteral("sae"));
        sae->setRequest(request);
        sae->start();
        QVERIFY(sae->isTraining());
        QTRY_VERIFY_WITH_TIMEOUT(!sae->isTraining(), 60000);
        QVERIFY2(sae->chartPointCount() >= 3, qPrintable(QString::number(sae->chartPointCount())));
        QVERIFY2(sae->evaluationText().contains(QStringLiteral("explained variance")),
                 qPrintable(sae->statusText()));
        QVERIFY(QFileInfo::exists(request.outDirectory + QStringLiteral("/cfg.json")));
    }
};

QTEST_MAIN(TestAppDemo)
#include "tst_app_demo.moc"
