// The seed study end to end, as a researcher runs it: the real engine on the demo model and
// SAE behind the real window. Open the achievements set, run the contrast, the RSA and the
// method comparison, clamp the top feature and steer, save the workspace, and reopen it in a
// fresh window: every result is back without the engine computing any of them again.

#include "app/main_window.h"
#include "app/study_report_export.h"
#include "core/engine/engine_client.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "gpu/engine/torch_engine_client.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/contrast_tab.h"
#include "widgets/panels/method_comparison_tab.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/panels/sae_picker.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/feature_table_view.h"

#include <QComboBox>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

const QString kSet = QStringLiteral(
        "datasets/prompt-sets/seed/SR_TOPIC_1_SUCCESS_CONTINUATION/"
        "unifactorial_achievements_fixed.json");

// The engine's requests by name, as the status bar sees them.
QStringList startedRequests(const QSignalSpy &spy)
{
    QStringList names;
    for (const QList<QVariant> &arguments : spy) {
        names << arguments.at(1).toString();
    }
    return names;
}

void loadDemo(app::MainWindow &window, gpu::TorchEngineClient &engine)
{
    window.modelPanel()->loadModel(test::sourcePath(QStringLiteral("datasets/demo/model")));
    window.modelPanel()->saePicker()->loadSae(
            test::sourcePath(QStringLiteral("datasets/demo/sae")));
    QTRY_VERIFY_WITH_TIMEOUT(!engine.currentSae().path.isEmpty() && !window.modelPanel()->isBusy(),
                             60000);
}

}  // namespace

class TestStudyEndToEnd : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void seedStudyIsKeptAndReopensWithoutRecomputing()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        const QString workspacePath = dir.filePath(QStringLiteral("achievements.gyrus"));

        ContrastAnalysisResultPtr contrast;
        std::shared_ptr<const RsaResult> rsa;
        MethodComparisonResultPtr methods;
        QString baseline;
        QString steered;
        ClampSet clamps;
        {
            gpu::TorchEngineClient engine;
            app::MainWindow window(&settings, nullptr, &engine);
            window.resize(1600, 1000);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            loadDemo(window, engine);
            QVERIFY(window.promptSetsPanel()->openFile(test::sourcePath(kSet)).isOk());

            // The defaults follow the study: the set's first level is A, the SAE's features.
            widgets::ContrastPanel *panel = window.contrastPanel();
            const ContrastSource source = panel->form()->source();
            QCOMPARE(source.levelA, QStringLiteral("achievements_records"));
            QCOMPARE(source.levelB, QStringLiteral("failures_setbacks"));
            QVERIFY(source.saeFeatures);
            QCOMPARE(source.hookName, engine.currentSae().hookName);

            panel->contrastView()->run();
            QTRY_VERIFY_WITH_TIMEOUT(panel->contrastView()->result() &&
                                             panel->contrastView()->runButton()->isEnabled(),
                                     60000);
            contrast = panel->contrastView()->result();
            QCOMPARE(contrast->itemCount, 100);

            widgets::RsaPanel *rsaPanel = window.rsaPanel();
            // The form as a user sets it (its controls by name).
            auto *representation =
                    rsaPanel->findChild<QComboBox *>(QStringLiteral("rsa.representation"));
            auto *permutations =
                    rsaPanel->findChild<QSpinBox *>(QStringLiteral("rsa.permutations"));
            QVERIFY(representation && permutations);
            representation->setCurrentIndex(representation->findData(QStringLiteral("sae")));
            permutations->setValue(200);
            QVERIFY(rsaPanel->compute() != 0);
            QTRY_VERIFY_WITH_TIMEOUT(rsaPanel->result() && !rsaPanel->statusText().startsWith(
                                                                   QStringLiteral("Computing")),
                                     60000);
            rsa = rsaPanel->result();

            widgets::MethodComparisonTab *comparison = panel->methodsView();
            comparison->setSettings(4, 3, 2, 4);
            comparison->run();
            QTRY_VERIFY_WITH_TIMEOUT(comparison->result() && !comparison->isRunning(), 120000);
            methods = comparison->result();

            // Clamp the contrast's top feature and steer with it.
            const int top = panel->contrastView()->table()->featureAtRow(0);
            window.selection()->addClamp(FeatureClamp{top, ClampMode::Clamp, 8.0});
            widgets::SteeringPanel *steering = window.steeringPanel();
            steering->setPrompt(QStringLiteral("The team won"));
            steering->setSampling(6, 0.0, 0);
            QSignalSpy finished(steering, &widgets::SteeringPanel::runFinished);
            steering->run();
            QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 60000);
            baseline = steering->baselineText();
            steered = steering->steeredText();
            QVERIFY(!baseline.isEmpty());
            clamps = window.selection()->clampSet();

            QVERIFY(window.workspace()->saveAs(workspacePath).isOk());
            QVERIFY(!window.workspace()->isDirty());
            window.workspace()->clear();  // nothing kept in memory helps the reopen below
        }

        gpu::TorchEngineClient engine;
        QSignalSpy started(&engine, &EngineClient::started);
        app::MainWindow window(&settings, nullptr, &engine);
        window.resize(1600, 1000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QStringList warnings;
        const Status opened = window.workspace()->open(workspacePath, &warnings);
        QVERIFY2(opened.isOk(), qPrintable(opened.message()));
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join(QLatin1Char('\n'))));
        QTRY_VERIFY_WITH_TIMEOUT(!engine.currentSae().path.isEmpty(), 60000);
        QTRY_VERIFY(!window.modelPanel()->isBusy());
        QTest::qWait(300);  // anything the reopen would have triggered has been asked by now

        const QStringList asked = startedRequests(started);
        for (const char *analysis :
             {"contrast", "RSA", "compare methods", "feature RSA map", "steer"}) {
            QVERIFY2(!asked.contains(QLatin1String(analysis)),
                     qPrintable(asked.join(QStringLiteral(", "))));
        }
        widgets::ContrastPanel *panel = window.contrastPanel();
        const ContrastAnalysisResultPtr contrastBack = panel->contrastView()->result();
        QVERIFY(contrastBack);
        QCOMPARE(contrastBack->effects.at(0).stats.q, contrast->effects.at(0).stats.q);
        QCOMPARE(contrastBack->effects.at(0).stats.t, contrast->effects.at(0).stats.t);
        QVERIFY2(panel->contrastView()->staleReason().isEmpty(),
                 qPrintable(panel->contrastView()->staleReason()));

        const std::shared_ptr<const RsaResult> rsaBack = window.rsaPanel()->result();
        QVERIFY(rsaBack);
        QCOMPARE(rsaBack->rdm.condensed(), rsa->rdm.condensed());
        QCOMPARE(rsaBack->models.at(0).comparison.r, rsa->models.at(0).comparison.r);
        QCOMPARE(rsaBack->models.at(0).comparison.p, rsa->models.at(0).comparison.p);

        const MethodComparisonResultPtr methodsBack = panel->methodsView()->result();
        QVERIFY(methodsBack);
        QCOMPARE(methodsBack->rows.size(), methods->rows.size());
        for (int row = 0; row < methods->rows.size(); ++row) {
            QCOMPARE(methodsBack->rows[row].balancedAccuracy, methods->rows[row].balancedAccuracy);
            QCOMPARE(methodsBack->rows[row].p, methods->rows[row].p);
            QVERIFY(!methods->rows[row].ensembleWeights.empty());
            QCOMPARE(methodsBack->rows[row].ensembleWeights, methods->rows[row].ensembleWeights);
            QCOMPARE(methodsBack->rows[row].ensembleSds, methods->rows[row].ensembleSds);
        }
        QVERIFY(panel->methodsView()->ensembleButton()->isEnabled());
        QCOMPARE(window.selection()->clampSet(), clamps);
        QCOMPARE(window.steeringPanel()->baselineText(), baseline);
        QCOMPARE(window.steeringPanel()->steeredText(), steered);
        QTRY_VERIFY(!window.workspace()->isDirty());

        // The report of the reopened study holds its numbers.
        const QString report = dir.filePath(QStringLiteral("report.html"));
        QVERIFY(app::exportStudyReport(&window, &engine, report).isOk());
        QFile file(report);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(file.readAll());
        QVERIFY(html.contains(QStringLiteral("<h2>Representational similarity analysis</h2>")));
        QVERIFY(html.contains(QStringLiteral("achievements_records")));

        // Changed settings make the results out of date, in words; changed back, they are not.
        QVERIFY(panel->form()->setPooling(Pooling::LastToken));
        QCOMPARE(panel->contrastView()->staleReason(), QStringLiteral("the settings changed"));
        QVERIFY(panel->contrastView()->statusText().startsWith(QStringLiteral("Out of date")));
        QVERIFY(panel->form()->setPooling(Pooling::Mean));
        QVERIFY(panel->contrastView()->staleReason().isEmpty());
    }
};

QTEST_MAIN(TestStudyEndToEnd)
#include "tst_study_end_to_end.moc"
