#include "core/base/log_capture.h"
#include "core/base/log_model.h"
#include "core/base/logging.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using gyrus::LogCapture;
using gyrus::LogEntry;
using gyrus::LogModel;

namespace {
LogEntry makeEntry(QtMsgType type, const QString &message)
{
    LogEntry entry;
    entry.time = QDateTime::currentDateTime();
    entry.type = type;
    entry.category = QStringLiteral("gyrus.test");
    entry.message = message;
    return entry;
}
}  // namespace

class TestLogModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void passesModelTester()
    {
        LogModel model(5);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 12; ++i) {
            model.append(makeEntry(QtInfoMsg, QStringLiteral("message %1").arg(i)));
        }
        model.clear();
        model.append(makeEntry(QtWarningMsg, QStringLiteral("after clear")));
        QCOMPARE(model.rowCount(), 1);
    }

    void dropsOldestPastCapacity()
    {
        LogModel model(3);
        for (int i = 0; i < 5; ++i) {
            model.append(makeEntry(QtInfoMsg, QStringLiteral("m%1").arg(i)));
        }
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, LogModel::MessageColumn).data().toString(), QStringLiteral("m2"));
        QCOMPARE(model.index(2, LogModel::MessageColumn).data().toString(), QStringLiteral("m4"));
    }

    void exposesLevelAsTextAndRole()
    {
        LogModel model;
        model.append(makeEntry(QtCriticalMsg, QStringLiteral("boom")));
        QCOMPARE(model.index(0, LogModel::LevelColumn).data().toString(),
                 QStringLiteral("critical"));
        QCOMPARE(model.index(0, 0).data(LogModel::LevelRole).toInt(),
                 static_cast<int>(QtCriticalMsg));
        QCOMPARE(model.headerData(LogModel::MessageColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Message"));
    }

    void captureDeliversCategoryAndMessage()
    {
        LogCapture capture;
        QSignalSpy spy(&capture, &LogCapture::messageLogged);
        QTest::ignoreMessage(QtWarningMsg, "disk almost full");
        qCWarning(lcIo) << "disk almost full";
        QCOMPARE(spy.count(), 1);
        const auto entry = spy.at(0).at(0).value<LogEntry>();
        QCOMPARE(entry.category, QStringLiteral("gyrus.io"));
        QCOMPARE(entry.message, QStringLiteral("disk almost full"));
        QCOMPARE(entry.type, QtWarningMsg);
    }

    void captureFromAnotherThreadArrivesQueued()
    {
        LogCapture capture;
        LogModel model;
        connect(&capture, &LogCapture::messageLogged, &model, &LogModel::append);
        QThread *worker = QThread::create([] { qCInfo(lcEngine) << "from the engine thread"; });
        worker->start();
        QVERIFY(worker->wait(5000));
        delete worker;
        QTRY_COMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, LogModel::MessageColumn).data().toString(),
                 QStringLiteral("from the engine thread"));
    }
};

QTEST_GUILESS_MAIN(TestLogModel)
#include "tst_log_model.moc"
