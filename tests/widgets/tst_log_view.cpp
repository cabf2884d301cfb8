#include "core/base/log_model.h"
#include "widgets/common/empty_state.h"
#include "widgets/common/plot_style.h"
#include "widgets/views/log_view.h"

#include <QAbstractItemModelTester>
#include <QTableView>
#include <QtTest>
#include <qcustomplot.h>

using gyrus::LogEntry;
using gyrus::LogModel;
using gyrus::widgets::LogView;

namespace {
void add(LogModel &model, QtMsgType type, const QString &message)
{
    LogEntry entry;
    entry.time = QDateTime::currentDateTime();
    entry.type = type;
    entry.category = QStringLiteral("gyrus.test");
    entry.message = message;
    model.append(entry);
}
}  // namespace

class TestLogView : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void filtersByMinimumLevel()
    {
        LogModel model;
        LogView view(&model);
        add(model, QtDebugMsg, QStringLiteral("detail"));
        add(model, QtInfoMsg, QStringLiteral("loaded"));
        add(model, QtWarningMsg, QStringLiteral("slow BLAS"));
        add(model, QtCriticalMsg, QStringLiteral("out of memory"));
        QCOMPARE(view.visibleRowCount(), 3);  // default hides debug
        view.setMinimumLevel(QtDebugMsg);
        QCOMPARE(view.visibleRowCount(), 4);
        view.setMinimumLevel(QtWarningMsg);
        QCOMPARE(view.visibleRowCount(), 2);
        view.setMinimumLevel(QtCriticalMsg);
        QCOMPARE(view.visibleRowCount(), 1);
    }

    void filtersByText()
    {
        LogModel model;
        LogView view(&model);
        add(model, QtInfoMsg, QStringLiteral("loaded model"));
        add(model, QtInfoMsg, QStringLiteral("trained SAE"));
        view.setFilterText(QStringLiteral("MODEL"));
        QCOMPARE(view.visibleRowCount(), 1);
        view.setFilterText(QString());
        QCOMPARE(view.visibleRowCount(), 2);
    }

    void filteredTableKeepsTheModelContract()
    {
        // Qt's checks (indexes, parents, row signals) on what the table shows, through appends,
        // the oldest rows dropped past capacity, both filters and a clear.
        LogModel model(50);
        LogView view(&model);
        auto *table = view.findChild<QTableView *>(QStringLiteral("logTable"));
        QVERIFY(table);
        QAbstractItemModelTester tester(table->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 80; ++i) {
            add(model, i % 3 == 0 ? QtWarningMsg : QtInfoMsg, QStringLiteral("line %1").arg(i));
        }
        QCOMPARE(view.visibleRowCount(), 50);
        view.setMinimumLevel(QtWarningMsg);
        QCOMPARE(view.visibleRowCount(), 17);  // the rows kept are lines 30-79; every third warns
        view.setFilterText(QStringLiteral("line 7"));
        QCOMPARE(view.visibleRowCount(), 3);  // lines 72, 75 and 78
        view.setFilterText(QString());
        view.setMinimumLevel(QtDebugMsg);
        QCOMPARE(view.visibleRowCount(), 50);
        model.clear();
        QCOMPARE(view.visibleRowCount(), 0);
    }

    void followsNewMessages()
    {
        LogModel model;
        LogView view(&model);
        view.resize(500, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        for (int i = 0; i < 200; ++i) {
            add(model, QtInfoMsg, QStringLiteral("line %1").arg(i));
        }
        auto *table = view.findChild<QTableView *>(QStringLiteral("logTable"));
        QVERIFY(table);
        QTRY_COMPARE(table->rowAt(table->viewport()->height() - 2) >= 190, true);
    }

    void emptyStateShowsItsText()
    {
        gyrus::widgets::EmptyState state(QStringLiteral("RSA"), QStringLiteral("Nothing yet."));
        QCOMPARE(state.title(), QStringLiteral("RSA"));
        state.setExplanation(QStringLiteral("Run a prompt set."));
        QCOMPARE(state.explanation(), QStringLiteral("Run a prompt set."));
    }

    void plotStyleFollowsPalette()
    {
        QCustomPlot plot;
        QPalette palette = plot.palette();
        palette.setColor(QPalette::Base, QColor(10, 20, 30));
        palette.setColor(QPalette::Text, QColor(200, 210, 220));
        plot.setPalette(palette);
        gyrus::widgets::applyPlotStyle(&plot);
        QCOMPARE(plot.xAxis->tickLabelColor(), QColor(200, 210, 220));
        QVERIFY(!plot.xAxis2->visible());
        plot.resize(200, 100);
        const QImage image = plot.toPixmap(200, 100).toImage();
        QCOMPARE(image.pixelColor(199, 0), QColor(10, 20, 30));  // the background, not white
    }
};

QTEST_MAIN(TestLogView)
#include "tst_log_view.moc"
