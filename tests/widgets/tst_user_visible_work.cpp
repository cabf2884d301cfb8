// Work a selection change triggers waits while its panel's dock is hidden (a tab behind another,
// or closed) and runs once when the dock is shown (QGIS's isUserVisible); outside a dock it runs
// at once.

#include "widgets/panels/user_visible_work.h"

#include <QDockWidget>
#include <QMainWindow>
#include <QTest>

using gyrus::widgets::isUserVisible;
using gyrus::widgets::UserVisibleWork;

class TestUserVisibleWork : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void runsAtOnceOutsideADock()
    {
        QWidget panel;
        int runs = 0;
        auto *work = new UserVisibleWork(&panel, [&runs] { ++runs; });
        QVERIFY(isUserVisible(&panel));
        work->request();
        QCOMPARE(runs, 1);
        QVERIFY(!work->isPending());
    }

    void waitsBehindAnotherTabAndRunsOnceWhenShown()
    {
        QMainWindow window;
        window.setCentralWidget(new QWidget(&window));
        window.resize(800, 600);
        auto *front = new QDockWidget(QStringLiteral("front"), &window);
        auto *back = new QDockWidget(QStringLiteral("back"), &window);
        front->setWidget(new QWidget(front));
        auto *panel = new QWidget(back);
        back->setWidget(panel);
        window.addDockWidget(Qt::RightDockWidgetArea, front);
        window.tabifyDockWidget(front, back);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // The tab bar exists once the window is laid out: raise the other tab after that.
        front->raise();
        QTRY_VERIFY(!isUserVisible(panel));

        int runs = 0;
        auto *work = new UserVisibleWork(panel, [&runs] { ++runs; });
        work->request();
        work->request();  // two selection changes while hidden: one run when shown
        QCOMPARE(runs, 0);
        QVERIFY(work->isPending());

        back->raise();
        QTRY_COMPARE(runs, 1);
        QVERIFY(!work->isPending());
        QTest::qWait(20);
        QCOMPARE(runs, 1);

        // Shown again later with nothing asked meanwhile: nothing runs.
        front->raise();
        QTRY_VERIFY(!isUserVisible(panel));
        back->raise();
        QTRY_VERIFY(isUserVisible(panel));
        QTest::qWait(20);
        QCOMPARE(runs, 1);

        // A closed dock waits too; visible again, it runs.
        back->close();
        work->request();
        QCOMPARE(runs, 1);
        back->show();
        QTRY_COMPARE(runs, 2);
    }
};

QTEST_MAIN(TestUserVisibleWork)
#include "tst_user_visible_work.moc"
