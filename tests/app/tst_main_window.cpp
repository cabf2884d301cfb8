#include "app/dock_catalog.h"
#include "app/main_window.h"
#include "core/log_model.h"
#include "tests/support/fake_engine_client.h"
#include "widgets/model_panel.h"

#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::app::MainWindow;

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
                QStringLiteral("Steering"),     QStringLiteral("Log")};
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

    void modelDockDrivesTheEngineAndRemembersModels()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
        gyrus::test::FakeEngineClient engine;
        MainWindow window(&settings, nullptr, &engine);
        gyrus::widgets::ModelPanel *panel = window.modelPanel();
        QVERIFY(panel);
        QCOMPARE(window.dock(QStringLiteral("dock.model"))->widget(), panel);
        panel->loadModel(QStringLiteral("/models/demo"));
        QTRY_COMPARE(engine.currentModel().name, QStringLiteral("demo"));
        QTRY_COMPARE(settings.value(QStringLiteral("models/recent")).toStringList(),
                     QStringList{QStringLiteral("/models/demo")});

        // A second window (the next session) offers the same recent model.
        gyrus::test::FakeEngineClient engine2;
        MainWindow next(&settings, nullptr, &engine2);
        QCOMPARE(next.modelPanel()->recentModels(), QStringList{QStringLiteral("/models/demo")});
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
