#include "app/dock_catalog.h"
#include "app/main_window.h"
#include "app/study_report_export.h"
#include "core/base/file_sha256.h"
#include "core/base/log_model.h"
#include "core/llm/openai_chat_client.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/contrast_tab.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/feature_rsa_tab.h"
#include "widgets/panels/method_comparison_tab.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/explanation_box.h"
#include "widgets/views/llm_endpoint_dialog.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

using gyrus::app::MainWindow;

namespace {

// The widgets under `root` that ask for at least `width` px (what makes a dock scroll sideways).
QString widestWidgets(QWidget *root, int width)
{
    QString found;
    for (QWidget *child : root->findChildren<QWidget *>()) {
        const int least = std::max(child->minimumSizeHint().width(), child->minimumWidth());
        if (least >= width) {
            found += QStringLiteral("\n  %1 %2: %3 px")
                             .arg(QString::fromLatin1(child->metaObject()->className()),
                                  child->objectName())
                             .arg(least);
        }
    }
    return found;
}

}  // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void everyDockHasNameAndToggle()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::LogModel log;
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, &log, &engine);

        const QStringList expected = {
                QStringLiteral("Model"),        QStringLiteral("Prompt sets"),
                QStringLiteral("SAE training"), QStringLiteral("Token heatmap"),
                QStringLiteral("Features"),     QStringLiteral("RSA"),
                QStringLiteral("Steering"),     QStringLiteral("Log"),
                QStringLiteral("Contrasts"),    QStringLiteral("Attribution")};
        QStringList titles;
        QMenu *view = window.menuBar()->findChild<QMenu *>(QStringLiteral("menu.view"));
        QVERIFY(view);
        const QList<QDockWidget *> docks = window.findChildren<QDockWidget *>();
        QCOMPARE(docks.size(), expected.size());
        QSet<QString> names;
        for (QDockWidget *dock : window.docks()) {
            QVERIFY(dock);
            QVERIFY2(!dock->objectName().isEmpty(), qPrintable(dock->windowTitle()));
            names.insert(dock->objectName());
            titles.append(dock->windowTitle());
            QVERIFY2(view->actions().contains(dock->toggleViewAction()),
                     qPrintable(dock->windowTitle() + QStringLiteral(" has no View toggle")));
            QVERIFY(dock->widget());
        }
        QCOMPARE(names.size(), expected.size());  // unique, so QSettings can restore them
        QCOMPARE(titles, expected);
    }

    void windowDocksAndAboutBoxShowIcons()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        MainWindow window(&settings, nullptr, nullptr);

        // The window (and so the taskbar entry) carries the application icon in every size
        // the hicolor theme installs up to 256 px.
        const QList<QSize> sizes = window.windowIcon().availableSizes();
        for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
            QVERIFY2(sizes.contains(QSize(size, size)), qPrintable(QString::number(size)));
        }
        for (QDockWidget *dock : window.docks()) {
            QVERIFY2(!dock->windowIcon().isNull(), qPrintable(dock->objectName()));
            QVERIFY2(!dock->toggleViewAction()->icon().isNull(), qPrintable(dock->objectName()));
        }

        QMessageBox *about = window.showAbout();
        QVERIFY(about);
        QCOMPARE(about->iconPixmap().size(), QSize(96, 96));
        // The very image the window icon gives at that size, not a style's stock icon.
        QCOMPARE(about->iconPixmap().toImage().convertToFormat(QImage::Format_ARGB32),
                 window.windowIcon().pixmap(96, 96).toImage().convertToFormat(
                         QImage::Format_ARGB32));
        QVERIFY(about->text().contains(QStringLiteral("Gyrus")));
        about->close();
    }

    void modelDockDrivesTheEngineAndRemembersModels()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        gyrus::widgets::ModelPanel *panel = window.modelPanel();
        QVERIFY(panel);
        QCOMPARE(window.dockContent(QStringLiteral("dock.model")), panel);
        panel->loadModel(QStringLiteral("/models/demo"));
        QTRY_COMPARE(engine.currentModel().name, QStringLiteral("demo"));
        QTRY_COMPARE(settings.value(QStringLiteral("models/recent")).toStringList(),
                     QStringList{QStringLiteral("/models/demo")});

        // A second window (the next session) offers the same recent model.
        gyrus::test::FakeEngineClient engine2;
        MainWindow next(&settings, nullptr, &engine2);
        QCOMPARE(next.modelPanel()->recentModels(), QStringList{QStringLiteral("/models/demo")});
    }

    void tokenHeatmapDockSharesTheWindowsSelectionAndPromptSet()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        gyrus::widgets::TokenHeatmapPanel *heatmap = window.tokenHeatmapPanel();
        QVERIFY(heatmap);
        QCOMPARE(window.dockContent(QStringLiteral("dock.tokenHeatmap")), heatmap);
        QSignalSpy finished(&engine, &gyrus::EngineClient::finished);
        engine.loadModel(gyrus::ModelSpec{QStringLiteral("/models/demo")});
        engine.loadSae(gyrus::SaeSpec{QStringLiteral("/saes/demo")});
        QTRY_COMPARE(finished.count(), 2);
        QSignalSpy shown(heatmap, &gyrus::widgets::TokenHeatmapPanel::analysisShown);
        heatmap->analyzeText(QStringLiteral("the court said"));
        QTRY_COMPARE(shown.count(), 1);
        // The window's SelectionHub is the heatmap's: a selection anywhere recolours it.
        window.selection()->selectFeature(7, QStringLiteral("test"));
        QCOMPARE(heatmap->stripView()->sourceIndex(), 7);
        // The Prompt sets dock's open set is what "Prompt set" mode analyses.
        window.promptSetsPanel()->newSet();
        window.promptSetsPanel()->addItem();
        QVERIFY(window.promptSetsPanel()->setCell(0, 1, QStringLiteral("a judge ruled")));
        heatmap->analyzeCurrentPromptSet();
        QTRY_COMPARE(shown.count(), 2);
        QCOMPARE(heatmap->analysis()->texts.front().text, QStringLiteral("a judge ruled"));
    }

    void contrastDockFollowsThePromptSet()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        gyrus::widgets::ContrastPanel *panel = window.contrastPanel();
        QVERIFY(panel);
        QCOMPARE(window.dockContent(QStringLiteral("dock.contrast")), panel);
        QVERIFY(window.promptSetsPanel()
                        ->openFile(gyrus::test::sourcePath(
                                QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")))
                        .isOk());
        QCOMPARE(panel->form()->promptSet().name, QStringLiteral("demo-valence"));
        QCOMPARE(panel->form()->source().factor, QStringLiteral("valence"));
        QCOMPARE(panel->form()->source().levelA, QStringLiteral("positive"));  // the first level
    }

    // File > Export study report: one HTML file with the study's numbers, figures inlined,
    // the methods and the provenance.
    void studyReportHoldsTheResults()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        window.resize(1400, 900);
        window.show();
        QVERIFY(window.menuBar()->findChild<QAction *>(QStringLiteral("action.exportStudyReport")));
        const QString setPath = gyrus::test::sourcePath(
                QStringLiteral("datasets/prompt-sets/demo/demo-valence.json"));
        QVERIFY(window.promptSetsPanel()->openFile(setPath).isOk());
        engine.loadModel(gyrus::ModelSpec{QStringLiteral("/models/demo")});
        engine.loadSae(gyrus::SaeSpec{QStringLiteral("/saes/demo")});
        QTRY_VERIFY(!engine.currentSae().path.isEmpty() && !engine.currentModel().name.isEmpty());
        gyrus::widgets::ContrastPanel *panel = window.contrastPanel();
        panel->contrastView()->run();
        QTRY_VERIFY(panel->contrastView()->result());
        panel->methodsView()->setSettings(4, 3, 2, 10);
        panel->methodsView()->run();
        QTRY_VERIFY(panel->methodsView()->result() && !panel->methodsView()->isRunning());

        const QString path = dir.filePath(QStringLiteral("report.html"));
        QVERIFY(gyrus::app::exportStudyReport(&window, &engine, path).isOk());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(file.readAll());
        for (const char *expected :
             {"<h2>Study</h2>", "<h2>Contrast</h2>", "<h2>Method comparison</h2>",
              "<h2>Provenance</h2>", "Benjamini–Hochberg", "label permutations",
              "data:image/png;base64,", "demo-valence"}) {
            QVERIFY2(html.contains(QString::fromUtf8(expected)), expected);
        }
        QVERIFY(html.contains(QString::fromLatin1(gyrus::fileSha256(setPath))));
        QVERIFY(!html.contains(QStringLiteral("<h2>Representational")));  // RSA not run
        const gyrus::MethodComparisonRow &first = panel->methodsView()->result()->rows.first();
        QVERIFY(html.contains(QString::number(first.balancedAccuracy, 'f', 3)));
    }

    void firstStartFitsASmallScreen()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::LogModel log;
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, &log, &engine);
        // Every dock can be made small: the window fits a 1366×768 screen with room for a
        // panel, whatever its panels hold.
        const QSize least = window.minimumSizeHint();
        QVERIFY2(least.width() <= 1366 && least.height() <= 700,
                 qPrintable(QStringLiteral("%1×%2").arg(least.width()).arg(least.height())));
        for (QDockWidget *dock : window.docks()) {
            QVERIFY2(
                    dock->minimumSizeHint().height() < 200 && dock->minimumSizeHint().width() < 300,
                    qPrintable(dock->objectName()));
        }

        window.setGeometry(0, 0, 1366, 740);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.size(), QSize(1366, 740));
        QDockWidget *logDock = window.dock(QStringLiteral("dock.log"));
        // Queued after the show: the default sizes.
        QTRY_VERIFY2(logDock->height() <= window.height() * 25 / 100,
                     qPrintable(QString::number(logDock->height())));
        QVERIFY(!logDock->visibleRegion().isEmpty());  // the Log is the raised tab of its strip
        QVERIFY(window.tabifiedDockWidgets(logDock).contains(
                window.dock(QStringLiteral("dock.saeTraining"))));
        QDockWidget *heatmap = window.dock(QStringLiteral("dock.tokenHeatmap"));
        QVERIFY(heatmap->height() > window.height() / 2);
        QVERIFY(heatmap->width() > window.width() / 3);
        QDockWidget *promptSets = window.dock(QStringLiteral("dock.promptSets"));
        QVERIFY(promptSets->height() > window.dock(QStringLiteral("dock.model"))->height());
    }

    // At 1600×1000 the Steering dock shows each result tab, the concept chart included, without
    // scrolling: everything fits at its minimum (its wrapped status line once made the dock's
    // scroll area size it by its children's preferred heights instead, and the chart's axis went
    // below the fold).
    void steeringDockFitsItsHeightWithEachResultTab()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::LogModel log;
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, &log, &engine);
        window.setGeometry(QRect(QPoint(0, 0), QSize(1600, 1000)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QDockWidget *logDock = window.dock(QStringLiteral("dock.log"));
        QTRY_VERIFY(logDock->height() <= window.height() * 25 / 100);
        QDockWidget *dock = window.dock(QStringLiteral("dock.steering"));
        dock->raise();
        auto *scroll = qobject_cast<QScrollArea *>(dock->widget());
        QVERIFY(scroll);
        gyrus::widgets::SteeringPanel *steering = window.steeringPanel();
        for (int tab = 0; tab < 4; ++tab) {
            steering->showResultsTab(tab);
            QCoreApplication::processEvents();
            QTRY_VERIFY2(!scroll->verticalScrollBar()->isVisible(),
                         qPrintable(QStringLiteral("tab %1: content %2 px high in %3 px")
                                            .arg(tab)
                                            .arg(scroll->widget()->height())
                                            .arg(scroll->viewport()->height())));
        }
    }

    // At the first-start layout on a laptop, the screenshots' and a desktop screen, with a study
    // loaded and its results shown, every dock's content fits the dock's width: no dock scrolls
    // sideways (its forms reflow, its texts elide), and no button is squeezed below its label.
    void everyDockFitsItsWidthAtFirstStart_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1366x768") << QSize(1366, 740);
        QTest::newRow("1600x1000") << QSize(1600, 1000);
        QTest::newRow("1920x1080") << QSize(1920, 1050);
    }

    void everyDockFitsItsWidthAtFirstStart()
    {
        QFETCH(QSize, size);
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::LogModel log;
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, &log, &engine);
        window.setGeometry(QRect(QPoint(0, 0), size));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QDockWidget *logDock = window.dock(QStringLiteral("dock.log"));
        QTRY_VERIFY(logDock->height() <= window.height() * 25 / 100);
        // A study with long names, as the seed studies have.
        QVERIFY(window.promptSetsPanel()
                        ->openFile(gyrus::test::sourcePath(
                                QStringLiteral("datasets/prompt-sets/demo/demo-tense-number.json")))
                        .isOk());
        engine.loadModel(gyrus::ModelSpec{QStringLiteral("/models/demo")});
        engine.loadSae(gyrus::SaeSpec{QStringLiteral("/saes/demo")});
        QTRY_VERIFY(!engine.currentSae().path.isEmpty() && !engine.currentModel().name.isEmpty());
        gyrus::widgets::ContrastPanel *contrast = window.contrastPanel();
        contrast->contrastView()->run();
        QTRY_VERIFY(contrast->contrastView()->result());
        contrast->rsaView()->run();
        contrast->methodsView()->setSettings(4, 3, 2, 10);
        contrast->methodsView()->run();
        QTRY_VERIFY(contrast->rsaView()->map() && contrast->methodsView()->result() &&
                    !contrast->methodsView()->isRunning());

        for (QDockWidget *dock : window.docks()) {
            dock->raise();
            auto *scroll = qobject_cast<QScrollArea *>(dock->widget());
            QVERIFY2(scroll, qPrintable(dock->objectName()));
            QWidget *content = scroll->widget();
            // Each tab of a tabbed panel in turn (a tab widget asks for its widest page anyway).
            QList<QTabWidget *> tabs = content->findChildren<QTabWidget *>();
            tabs.prepend(nullptr);
            for (QTabWidget *tabWidget : tabs) {
                for (int tab = 0; tab < (tabWidget ? tabWidget->count() : 1); ++tab) {
                    if (tabWidget) {
                        tabWidget->setCurrentIndex(tab);
                    }
                    QCoreApplication::processEvents();
                    const QString where =
                            QStringLiteral("%1 %2 at %3×%4")
                                    .arg(dock->objectName(),
                                         tabWidget ? tabWidget->tabText(tab) : QString())
                                    .arg(size.width())
                                    .arg(size.height());
                    QTRY_VERIFY2(
                            content->minimumSizeHint().width() <= scroll->viewport()->width(),
                            qPrintable(QStringLiteral("%1: needs %2 px, has %3%4")
                                               .arg(where)
                                               .arg(content->minimumSizeHint().width())
                                               .arg(scroll->viewport()->width())
                                               .arg(widestWidgets(
                                                       content, scroll->viewport()->width() / 3))));
                    QVERIFY2(!scroll->horizontalScrollBar()->isVisible(), qPrintable(where));
                    // Every plot shown draws its axes across most of its width (an empty
                    // legend's row once squeezed the feature-RSA scatter into 110 px).
                    for (QCustomPlot *plot : content->findChildren<QCustomPlot *>()) {
                        if (plot->isVisible() && plot->width() > 0) {
                            plot->replot();
                            QVERIFY2(plot->axisRect()->outerRect().width() >= plot->width() * 3 / 4,
                                     qPrintable(QStringLiteral("%1: plot %2 draws %3 of %4 px")
                                                        .arg(where, plot->objectName())
                                                        .arg(plot->axisRect()->outerRect().width())
                                                        .arg(plot->width())));
                        }
                    }
                    for (QAbstractButton *button : content->findChildren<QAbstractButton *>()) {
                        if (button->isVisibleTo(content) && !button->text().isEmpty() &&
                            button->isVisible()) {
                            QVERIFY2(button->width() >= button->sizeHint().width(),
                                     qPrintable(QStringLiteral("%1: button %2 %3 px wide, needs %4")
                                                        .arg(where, button->text())
                                                        .arg(button->width())
                                                        .arg(button->sizeHint().width())));
                        }
                    }
                }
            }
        }
    }

    void resetLayoutRestoresTheFirstStartLayout()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::LogModel log;
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, &log, &engine);
        window.setGeometry(0, 0, 1366, 740);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QDockWidget *logDock = window.dock(QStringLiteral("dock.log"));
        QTRY_VERIFY(logDock->height() <= window.height() * 25 / 100);
        // The docks on screen (the raised tab of each group) and where they are.
        QHash<QString, QRect> firstStart;
        for (QDockWidget *dock : window.docks()) {
            if (window.rect().contains(dock->geometry())) {
                firstStart.insert(dock->objectName(), dock->geometry());
            }
        }
        QCOMPARE(firstStart.size(), 5);  // model, prompt sets, heatmap, features, log
        // Rearranged by a user: the log made tall, a dock floated, another hidden.
        window.resizeDocks({window.dock(QStringLiteral("dock.tokenHeatmap")), logDock}, {200, 500},
                           Qt::Vertical);
        window.dock(QStringLiteral("dock.model"))->setFloating(true);
        window.dock(QStringLiteral("dock.steering"))->hide();
        QTRY_VERIFY(logDock->height() > 300);

        window.resetLayout();
        for (auto shown = firstStart.cbegin(); shown != firstStart.cend(); ++shown) {
            QTRY_COMPARE(window.dock(shown.key())->geometry(), shown.value());
        }
    }

    // Settings ▸ Language model endpoint…: off by default (no explainer), an OpenAI-compatible
    // server with a key that is stored only when asked for and never in the workspace, and a
    // bad URL refused in the dialog with the reason.
    void explainerEndpointDialogConfiguresTheExplainer()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        QStringList built;
        window.setExplainerFactory(
                [&built](const gyrus::ExplainerSettings &explainer,
                         QString *problem) -> std::unique_ptr<gyrus::ChatBackend> {
                    const auto endpoint = gyrus::explainerEndpoint(explainer);
                    if (!endpoint) {
                        *problem = endpoint.status().message();
                        return nullptr;
                    }
                    built << endpoint->describe() + QStringLiteral(" key ") + endpoint->apiKey;
                    return std::make_unique<gyrus::OpenAiChatClient>(endpoint.value());
                });
        QVERIFY(!window.explainer());  // offline by default
        QVERIFY(built.isEmpty());
        auto *action = window.findChild<QAction *>(QStringLiteral("action.llmEndpoint"));
        QVERIFY(action);

        gyrus::widgets::LlmEndpointDialog *dialog = window.showExplainerSettings();
        dialog->kindBox()->setCurrentIndex(2);
        dialog->urlEdit()->setText(QStringLiteral("ftp://nowhere"));
        dialog->modelEdit()->setText(QStringLiteral("judge-7b"));
        dialog->accept();
        QVERIFY(dialog->isVisible());  // refused, with the reason
        QVERIFY2(dialog->problem().contains(QStringLiteral("http")), qPrintable(dialog->problem()));
        dialog->urlEdit()->setText(QStringLiteral("http://127.0.0.1:9/v1"));
        dialog->keyEdit()->setText(QStringLiteral("sk-secret-1234"));
        dialog->accept();
        QTRY_VERIFY(window.explainer());
        QCOMPARE(built.size(), 1);
        QCOMPARE(built[0], QStringLiteral("openai http://127.0.0.1:9/v1 model judge-7b key "
                                          "sk-secret-1234"));
        QCOMPARE(window.explainer()->describe(),
                 QStringLiteral("openai http://127.0.0.1:9/v1 model judge-7b"));
        settings.sync();
        QCOMPARE(settings.value(QStringLiteral("autointerp/endpoint")).toString(),
                 QStringLiteral("http://127.0.0.1:9/v1"));
        QVERIFY(!settings.contains(QStringLiteral("autointerp/api_key")));  // not remembered

        // Remembered on request; the workspace file never holds it.
        dialog = window.showExplainerSettings();
        QCOMPARE(dialog->urlEdit()->text(), QStringLiteral("http://127.0.0.1:9/v1"));
        dialog->keyEdit()->setText(QStringLiteral("sk-secret-1234"));
        dialog->rememberKeyBox()->setChecked(true);
        dialog->accept();
        settings.sync();
        QCOMPARE(settings.value(QStringLiteral("autointerp/api_key")).toString(),
                 QStringLiteral("sk-secret-1234"));
        const QString workspace = dir.filePath(QStringLiteral("study.gyrus"));
        QVERIFY(window.workspace()->saveAs(workspace).isOk());
        QFile file(workspace);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains("sk-secret-1234"));

        // Off again: no explainer, nothing sent.
        dialog = window.showExplainerSettings();
        dialog->kindBox()->setCurrentIndex(0);
        dialog->accept();
        QVERIFY(!window.explainer());
        QCOMPARE(built.size(), 2);  // off builds nothing
    }

    void toggleActionHidesAndShowsDock()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        MainWindow window(&settings, nullptr, nullptr);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QDockWidget *rsa = window.dock(QStringLiteral("dock.rsa"));
        QVERIFY(rsa->toggleViewAction()->isChecked());
        rsa->toggleViewAction()->trigger();
        QVERIFY(rsa->isHidden());
        rsa->toggleViewAction()->trigger();
        QVERIFY(!rsa->isHidden());
    }

    void layoutSurvivesRestart()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("gyrus.ini"));
        {
            QSettings settings(path, QSettings::IniFormat);
            MainWindow window(&settings, nullptr, nullptr);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.dock(QStringLiteral("dock.steering"))->hide();
            window.dock(QStringLiteral("dock.model"))->setFloating(true);
            window.close();  // saves through closeEvent
        }
        {
            QSettings settings(path, QSettings::IniFormat);
            MainWindow window(&settings, nullptr, nullptr);
            QVERIFY(window.restoreLayout());
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QVERIFY(window.dock(QStringLiteral("dock.steering"))->isHidden());
            QVERIFY(window.dock(QStringLiteral("dock.model"))->isFloating());
            QVERIFY(!window.dock(QStringLiteral("dock.rsa"))->isHidden());

            window.resetLayout();
            QVERIFY(!window.dock(QStringLiteral("dock.steering"))->isHidden());
            QVERIFY(!window.dock(QStringLiteral("dock.model"))->isFloating());
        }
    }

    void missingOrForeignLayoutFallsBackToDefault()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("gyrus.ini"));
        {
            QSettings settings(path, QSettings::IniFormat);
            MainWindow window(&settings, nullptr, nullptr);
            QVERIFY(!window.restoreLayout());  // nothing saved yet
            settings.setValue(QStringLiteral("mainWindow/state"), QByteArray("not a dock state"));
        }
        QSettings settings(path, QSettings::IniFormat);
        MainWindow window(&settings, nullptr, nullptr);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("dock layout")));
        QVERIFY(!window.restoreLayout());
        QVERIFY(!window.dock(QStringLiteral("dock.log"))->isHidden());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
