// Workspaces through the main window (FakeEngineClient): every part round-trips through a
// .gyrus file, the title's modified marker follows changes, close asks when modified, a bad
// file leaves the session alone, and an autosave is offered after a crash.

#include "app/main_window.h"
#include "app/workspace_controller.h"
#include "core/prompts/prompt_set.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/sae_picker.h"
#include "widgets/panels/sae_training_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/attribution_sae_list.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::app::MainWindow;
using gyrus::app::WorkspaceController;
using namespace gyrus;

namespace {

/// A dock written by someone else: its state is one string.
struct ExtraDock
{
    QString text;
};

void registerExtra(MainWindow &window, ExtraDock *dock)
{
    window.workspace()->addSection(makeWorkspaceSection(
            QStringLiteral("extra_dock"),
            [dock] {
                return QJsonDocument(QJsonObject{{QStringLiteral("prompt"), dock->text}})
                        .toJson(QJsonDocument::Compact);
            },
            [dock](const QByteArray &json, QStringList *) {
                dock->text =
                        QJsonDocument::fromJson(json).object()[QStringLiteral("prompt")].toString();
                return Status::ok();
            },
            [dock] { dock->text.clear(); }));
}

/// Records the message boxes a controller would show.
struct Messages
{
    QStringList texts;

    void install(WorkspaceController *controller)
    {
        controller->setMessageSink([this](const QString &title, const QString &text) {
            texts << title + QStringLiteral(": ") + text;
        });
    }
};

QString demoModel()
{
    return test::sourcePath(QStringLiteral("datasets/demo/model"));
}

QString demoSae()
{
    return test::sourcePath(QStringLiteral("datasets/demo/sae"));
}

}  // namespace

class TestWorkspaceApp : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void roundTripRestoresEveryPart()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("study.gyrus"));
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        PromptSet edited;
        QVector<SaeTrainMetrics> history;
        SaeTrainRequest form;
        TokenAnalysisPtr heatmapAnalysis;
        {
            test::FakeEngineClient engine;
            engine.setTrainSteps(6);
            MainWindow window(&settings, nullptr, &engine);
            ExtraDock extra{QStringLiteral("The jury said")};
            registerExtra(window, &extra);
            QVERIFY(!window.isWindowModified());

            // Model and SAE.
            window.modelPanel()->setCurrentDtype(QStringLiteral("bfloat16"));
            window.modelPanel()->loadModel(demoModel());
            QTRY_COMPARE(engine.currentModel().path, demoModel());
            window.modelPanel()->saePicker()->loadSae(demoSae());
            QTRY_COMPARE(engine.currentSae().path, demoSae());
            QTRY_VERIFY(window.isWindowModified());

            // A prompt set with an unsaved edit.
            widgets::PromptSetsPanel *prompts = window.promptSetsPanel();
            QVERIFY(prompts->openFile(test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/"
                                                                      "demo-valence.json")))
                            .isOk());
            QVERIFY(prompts->setCell(0, 1, QStringLiteral("The workspace kept this edit.")));
            QVERIFY(prompts->isModified());
            edited = prompts->promptSet();

            // A short training run: the charts' history and the form.
            widgets::SaeTrainingPanel *training = window.saeTrainingPanel();
            SaeTrainRequest request = training->request();
            request.activationsPath = dir.filePath(QStringLiteral("acts.h5"));
            request.outDirectory = dir.filePath(QStringLiteral("sae-out"));
            request.sae.architecture = SaeArchitecture::Relu;
            request.l1Coefficient = 3.5;
            request.seed = 77;
            training->setRequest(request);
            training->start();
            QTRY_VERIFY(!training->isTraining());
            QVERIFY(training->history().size() >= 5);
            history = training->history();
            form = training->request();

            // The shared selection: feature, clamps, labels.
            SelectionHub *hub = window.selection();
            hub->addClamp({42, ClampMode::Clamp, 4.5, ClampPositions::Generated, true});
            hub->addClamp({7, ClampMode::Add, -2.0, ClampPositions::All, false});
            // After the clamps: the Steering dock selects the feature of a clamp it shows.
            hub->selectFeature(42, QStringLiteral("test"));
            hub->setAnnotation(42, {QStringLiteral("negative words"), QStringLiteral("sad, bad")});

            // The heatmap's typed text and its analysis.
            widgets::TokenHeatmapPanel *heatmap = window.tokenHeatmapPanel();
            heatmap->analyzeText(QStringLiteral("The jury kept its verdict."));
            QTRY_VERIFY(heatmap->analysis() != nullptr);
            heatmapAnalysis = heatmap->analysis();

            // The Attribution dock's SAEs of other layers (kept as paths, loaded when it runs).
            window.attributionPanel()->extraSaeList()->setPaths(
                    {dir.filePath(QStringLiteral("sae-layer1")), demoSae()});

            QVERIFY(window.workspaceController()->saveAs(path));
            QVERIFY(!window.isWindowModified());
            QVERIFY(window.windowTitle().startsWith(QStringLiteral("study.gyrus[*]")));
        }

        // The next session opens it.
        test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        ExtraDock extra;
        registerExtra(window, &extra);
        Messages messages;
        messages.install(window.workspaceController());
        QVERIFY(window.workspaceController()->openWorkspace(path));
        QSignalSpy dirtied(window.workspace(), &Workspace::dirtyChanged);
        QVERIFY2(messages.texts.isEmpty(), qPrintable(messages.texts.join(QLatin1Char('\n'))));
        QTRY_COMPARE(engine.currentModel().path, demoModel());
        QCOMPARE(engine.currentModel().dtype, Dtype::BFloat16);
        QTRY_COMPARE(engine.currentSae().path, demoSae());
        QVERIFY(engine.log().indexOf(QStringLiteral("load ") + demoModel()) <
                engine.log().indexOf(QStringLiteral("load-sae ") + demoSae()));

        const PromptSet &restored = window.promptSetsPanel()->promptSet();
        QCOMPARE(restored.items.size(), edited.items.size());
        QCOMPARE(restored.items.at(0).text, QStringLiteral("The workspace kept this edit."));
        QCOMPARE(restored.sourceFile, edited.sourceFile);
        QVERIFY(window.promptSetsPanel()->isModified());

        widgets::SaeTrainingPanel *training = window.saeTrainingPanel();
        QCOMPARE(training->history().size(), history.size());
        QCOMPARE(training->history().constLast().step, history.constLast().step);
        QCOMPARE(training->history().constLast().loss, history.constLast().loss);
        QCOMPARE(training->chartPointCount(), history.size());
        QCOMPARE(training->request().sae.architecture, SaeArchitecture::Relu);
        QCOMPARE(training->request().l1Coefficient, 3.5);
        QCOMPARE(training->request().seed, quint64(77));
        QCOMPARE(training->request().outDirectory, form.outDirectory);

        SelectionHub *hub = window.selection();
        QCOMPARE(hub->selectedFeature(), 42);
        QCOMPARE(hub->clampSet().clamps.size(), 2);
        QCOMPARE(hub->clampSet().clamps.at(0).positions, ClampPositions::Generated);
        QCOMPARE(hub->clampSet().clamps.at(1).enabled, false);
        QCOMPARE(hub->annotation(42).label, QStringLiteral("negative words"));
        QCOMPARE(hub->annotation(42).notes, QStringLiteral("sad, bad"));

        QCOMPARE(window.tokenHeatmapPanel()->workspaceState().value(QStringLiteral("text")),
                 QJsonValue(QStringLiteral("The jury kept its verdict.")));
        // The heatmap's analysis is back as computed, and stays once its SAE has loaded again.
        const TokenAnalysisPtr analysis = window.tokenHeatmapPanel()->analysis();
        QVERIFY(analysis);
        QVERIFY(!window.tokenHeatmapPanel()->isShowingEmptyState());
        QCOMPARE(analysis->texts.size(), heatmapAnalysis->texts.size());
        QCOMPARE(analysis->dSae, heatmapAnalysis->dSae);
        QCOMPARE(analysis->hookName, heatmapAnalysis->hookName);
        const TextActivations &was = heatmapAnalysis->texts.front();
        const TextActivations &now = analysis->texts.front();
        QCOMPARE(now.text, was.text);
        QCOMPARE(now.tokenCount(), was.tokenCount());
        QVERIFY(was.tokenCount() > 3);
        for (int t = 0; t < was.tokenCount(); ++t) {
            QCOMPARE(now.tokens[size_t(t)].piece, was.tokens[size_t(t)].piece);
            QCOMPARE(now.tokens[size_t(t)].begin, was.tokens[size_t(t)].begin);
            QCOMPARE(now.tokens[size_t(t)].bos, was.tokens[size_t(t)].bos);
        }
        QVERIFY(!was.features.empty());
        QVERIFY(now.rowStart == was.rowStart);
        QVERIFY(now.features == was.features);
        QVERIFY(now.values == was.values);
        QCOMPARE(extra.text, QStringLiteral("The jury said"));
        QCOMPARE(window.attributionPanel()->extraSaeList()->paths(),
                 (QStringList{dir.filePath(QStringLiteral("sae-layer1")), demoSae()}));
        // Loading what the workspace refers to is not a change. A request submitted now finishes
        // after every request the restore made (the engine runs them in order), so once it has,
        // every result is in; the dirty state is then checked at once rather than after a sleep.
        QSignalSpy finished(&engine, &EngineClient::finished);
        const RequestId barrier = engine.featureRanges(FeatureRangeRequest{extra.text, {1}});
        QTRY_VERIFY(test::hasFinished(finished, barrier));
        window.workspace()->refreshDirty();
        QVERIFY(!window.workspace()->isDirty());
        for (const QList<QVariant> &args : dirtied) {
            QVERIFY2(!args.at(0).toBool(), "the workspace was marked modified while it loaded");
        }
        // Nothing was recomputed: the engine analysed no text, and the analysis survived the
        // SAE's load.
        QVERIFY2(engine.log().filter(QStringLiteral("analyze")).isEmpty(),
                 qPrintable(engine.log().join(QLatin1Char('\n'))));
        QCOMPARE(window.tokenHeatmapPanel()->analysis(), analysis);
    }

    void dirtyMarkerAndSaveQuestion()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        MainWindow window(&settings, nullptr, nullptr);
        window.show();
        QVERIFY(window.windowTitle().startsWith(QStringLiteral("Untitled[*]")));
        QVERIFY(!window.isWindowModified());
        window.selection()->setAnnotation(3, {QStringLiteral("commas"), QString()});
        QTRY_VERIFY(window.isWindowModified());
        window.selection()->setAnnotation(3, {});
        QTRY_VERIFY(!window.isWindowModified());  // back to the saved state
        window.selection()->selectFeature(9);
        QTRY_VERIFY(window.isWindowModified());

        // Close asks; Cancel keeps the window open, Save with a chosen file saves.
        QStringList asked;
        WorkspaceController *controller = window.workspaceController();
        auto answer = WorkspaceController::Answer::Cancel;
        controller->setSaveQuestion([&](const QString &text) {
            asked << text;
            return answer;
        });
        QVERIFY(!window.close());
        QCOMPARE(asked.size(), 1);
        QVERIFY(window.isVisible());
        QVERIFY(!controller->newWorkspace());  // New asks too, and Cancel keeps everything
        QCOMPARE(window.selection()->selectedFeature(), 9);

        const QString path = dir.filePath(QStringLiteral("asked.gyrus"));
        controller->setFileChooser([&](bool forSaving) { return forSaving ? path : QString(); });
        answer = WorkspaceController::Answer::Save;
        QVERIFY(window.close());
        QVERIFY(QFile::exists(path));
        QVERIFY(!window.isWindowModified());
    }

    void badFilesAreReportedAndTheSessionKept()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        MainWindow window(&settings, nullptr, nullptr);
        Messages messages;
        messages.install(window.workspaceController());
        window.selection()->selectFeature(5);
        const QString path = dir.filePath(QStringLiteral("garbage.gyrus"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("definitely not HDF5");
        file.close();
        window.workspaceController()->setSaveQuestion(
                [](const QString &) { return WorkspaceController::Answer::Discard; });
        QVERIFY(!window.workspaceController()->openWorkspace(path));
        QCOMPARE(messages.texts.size(), 1);
        QVERIFY2(messages.texts.at(0).contains(path), qPrintable(messages.texts.at(0)));
        QCOMPARE(window.selection()->selectedFeature(), 5);
        QCOMPARE(window.workspace()->path(), QString());
    }

    void autosaveIsOfferedAfterACrash()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        const QString recovery = dir.filePath(QStringLiteral("app/recovery.gyrus"));
        const QString original = dir.filePath(QStringLiteral("mine.gyrus"));
        {
            MainWindow window(&settings, nullptr, nullptr);
            WorkspaceController *controller = window.workspaceController();
            QVERIFY(controller->setRecoveryFile(recovery));
            QVERIFY(controller->saveAs(original));
            window.selection()->setAnnotation(11, {QStringLiteral("unsaved label"), QString()});
            controller->setAutosaveInterval(50);
            QTRY_VERIFY(QFile::exists(recovery));  // the autosave timer wrote it
            // Crash: the window goes away without closeEvent / cleanExit.
        }
        {
            MainWindow window(&settings, nullptr, nullptr);
            WorkspaceController *controller = window.workspaceController();
            QVERIFY(controller->setRecoveryFile(recovery));
            QStringList offered;
            controller->setRecoveryQuestion([&](const QString &text) {
                offered << text;
                return true;
            });
            QVERIFY(controller->offerRecovery());
            QCOMPARE(offered.size(), 1);
            QVERIFY2(offered.at(0).contains(QStringLiteral("mine.gyrus")),
                     qPrintable(offered.at(0)));
            QCOMPARE(window.selection()->annotation(11).label, QStringLiteral("unsaved label"));
            QCOMPARE(window.workspace()->path(), original);  // Save goes to the user's file
            QVERIFY(window.isWindowModified());
            // A clean exit removes the recovery file; the next start offers nothing.
            window.workspaceController()->setSaveQuestion(
                    [](const QString &) { return WorkspaceController::Answer::Discard; });
            QVERIFY(window.close());
            QVERIFY(!QFile::exists(recovery));
        }

        // Discard deletes an offered recovery file.
        MainWindow again(&settings, nullptr, nullptr);
        QVERIFY(again.workspaceController()->setRecoveryFile(recovery));
        again.selection()->selectFeature(1);
        QTRY_VERIFY(again.workspace()->isDirty());
        QVERIFY(again.workspaceController()->autosaveNow().isOk());
        QVERIFY(QFile::exists(recovery));
        again.workspaceController()->setRecoveryQuestion([](const QString &) { return false; });
        QVERIFY(!again.workspaceController()->offerRecovery());
        QVERIFY(!QFile::exists(recovery));
    }
};

QTEST_MAIN(TestWorkspaceApp)
#include "tst_workspace_app.moc"
