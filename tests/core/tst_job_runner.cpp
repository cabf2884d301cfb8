#include "core/engine/job_runner.h"
#include "tests/support/request_spy.h"

#include <QSemaphore>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <stdexcept>

using gyrus::Job;
using gyrus::JobContext;
using gyrus::JobRunner;
using gyrus::JobStep;
using gyrus::RequestId;
using gyrus::Status;

namespace {

using gyrus::test::hasFinished;
using gyrus::test::statusOf;

Job quickJob(const QString &name, std::function<void()> body = {}, const QString &tag = {})
{
    return Job{name, tag, [body](JobContext &, Status *) {
                   if (body) {
                       body();
                   }
                   return JobStep::Done;
               }};
}

// Blocks the worker until released, so tests can arrange the queue deterministically.
struct Gate
{
    QSemaphore entered;
    QSemaphore release;

    Job job()
    {
        return quickJob(QStringLiteral("gate"), [this] {
            entered.release();
            release.acquire();
        });
    }
};

}  // namespace

class TestJobRunner : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void resultArrivesOnCallerThread()
    {
        JobRunner runner;
        QThread *stepThread = nullptr;
        QThread *receiverThread = nullptr;
        RequestId finishedId = 0;
        connect(&runner, &JobRunner::finished, this, [&](RequestId id, const Status &) {
            receiverThread = QThread::currentThread();
            finishedId = id;
        });
        const RequestId id = runner.submit(
                quickJob(QStringLiteral("probe"), [&] { stepThread = QThread::currentThread(); }));
        QVERIFY(id > 0);
        QTRY_COMPARE(finishedId, id);
        QCOMPARE(stepThread, runner.workerThread());
        QCOMPARE(receiverThread, QThread::currentThread());
        QVERIFY(stepThread != QThread::currentThread());
    }

    void idsAreMonotonic()
    {
        JobRunner runner;
        const RequestId a = runner.submit(quickJob(QStringLiteral("a")));
        const RequestId b = runner.submit(quickJob(QStringLiteral("b")));
        QVERIFY(b > a);
    }

    void slicedJobLetsInteractiveRequestsThrough()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        std::atomic<int> slices{0};
        QSemaphore firstSlice;
        const RequestId longId = runner.submit(
                Job{QStringLiteral("train"), QString(), [&](JobContext &, Status *) {
                        QThread::msleep(2);
                        if (slices.fetch_add(1) == 0) {
                            firstSlice.release();
                        }
                        return slices.load() < 200 ? JobStep::Continue : JobStep::Done;
                    }});
        QVERIFY(firstSlice.tryAcquire(1, 5000));
        const RequestId hoverId = runner.submit(quickJob(QStringLiteral("hover")));
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, longId), 10000);
        // The interactive request was served between slices, long before training ended.
        QCOMPARE(finished.at(0).at(0).value<RequestId>(), hoverId);
        QCOMPARE(slices.load(), 200);
        QVERIFY(statusOf(finished, longId).isOk());
    }

    void cancelStopsRunningJobWithinOneSlice()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        std::atomic<int> slices{0};
        std::atomic<int> slicesAfterCancel{0};
        std::atomic<bool> cancelRequested{false};
        QSemaphore running;
        const RequestId id = runner.submit(
                Job{QStringLiteral("scan"), QString(), [&](JobContext &context, Status *) {
                        if (cancelRequested) {
                            slicesAfterCancel++;
                        }
                        if (slices.fetch_add(1) == 3) {
                            running.release();
                        }
                        QThread::msleep(1);
                        return context.isCancelled() ? JobStep::Done : JobStep::Continue;
                    }});
        QVERIFY(running.tryAcquire(1, 5000));
        cancelRequested = true;
        runner.cancel(id);
        QTRY_VERIFY(hasFinished(finished, id));
        QCOMPARE(statusOf(finished, id).code(), Status::Code::Cancelled);
        QVERIFY2(slicesAfterCancel <= 1, qPrintable(QString::number(slicesAfterCancel)));
    }

    void cancelQueuedJobNeverRuns()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        Gate gate;
        runner.submit(gate.job());
        QVERIFY(gate.entered.tryAcquire(1, 5000));
        bool ran = false;
        const RequestId id = runner.submit(quickJob(QStringLiteral("x"), [&] { ran = true; }));
        runner.cancel(id);
        gate.release.release();
        QTRY_VERIFY(hasFinished(finished, id));
        QVERIFY(!ran);
        QCOMPARE(statusOf(finished, id).code(), Status::Code::Cancelled);
    }

    void taggedRequestsAreLatestWins()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        Gate gate;
        runner.submit(gate.job());
        QVERIFY(gate.entered.tryAcquire(1, 5000));
        QStringList ran;
        QMutex ranMutex;
        auto hover = [&](const QString &name) {
            return quickJob(
                    name,
                    [&, name] {
                        QMutexLocker lock(&ranMutex);
                        ran.append(name);
                    },
                    QStringLiteral("hover"));
        };
        const RequestId first = runner.submit(hover(QStringLiteral("h1")));
        const RequestId second = runner.submit(hover(QStringLiteral("h2")));
        const RequestId other =
                runner.submit(quickJob(QStringLiteral("load"), {}, QStringLiteral("load")));
        const RequestId third = runner.submit(hover(QStringLiteral("h3")));
        gate.release.release();
        QTRY_VERIFY(hasFinished(finished, third));
        QCOMPARE(ran, QStringList{QStringLiteral("h3")});
        QCOMPARE(statusOf(finished, first).code(), Status::Code::Cancelled);
        QVERIFY(statusOf(finished, first).message().contains(QStringLiteral("superseded")));
        QCOMPARE(statusOf(finished, second).code(), Status::Code::Cancelled);
        QVERIFY(statusOf(finished, other).isOk());  // another tag is untouched
        QVERIFY(statusOf(finished, third).isOk());
    }

    void exceptionsBecomeStatus()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        const RequestId boom = runner.submit(quickJob(
                QStringLiteral("boom"), [] { throw std::runtime_error("shape mismatch"); }));
        const RequestId oom =
                runner.submit(quickJob(QStringLiteral("oom"), [] { throw std::bad_alloc(); }));
        QTRY_VERIFY(hasFinished(finished, oom));
        QCOMPARE(statusOf(finished, boom).code(), Status::Code::Internal);
        QCOMPARE(statusOf(finished, boom).message(), QStringLiteral("shape mismatch"));
        QCOMPARE(statusOf(finished, oom).code(), Status::Code::OutOfMemory);
        QVERIFY(statusOf(finished, oom).message().contains(QStringLiteral("smaller batch")));

        runner.setExceptionTranslator([](std::exception_ptr) {
            return Status::error(Status::Code::OutOfMemory, QStringLiteral("CUDA out of memory"));
        });
        const RequestId translated = runner.submit(
                quickJob(QStringLiteral("cuda"), [] { throw std::runtime_error("CUDA error"); }));
        QTRY_VERIFY(hasFinished(finished, translated));
        QCOMPARE(statusOf(finished, translated).message(), QStringLiteral("CUDA out of memory"));
    }

    void jobStatusIsReported()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        const RequestId id = runner.submit(Job{
                QStringLiteral("load"), QString(), [](JobContext &, Status *status) {
                    *status = Status::invalidInput(QStringLiteral("config.json: no hidden_size"));
                    return JobStep::Done;
                }});
        QTRY_VERIFY(hasFinished(finished, id));
        QCOMPARE(statusOf(finished, id).code(), Status::Code::InvalidInput);
    }

    void progressIsThrottled()
    {
        JobRunner runner;
        QSignalSpy progress(&runner, &JobRunner::progress);
        QSignalSpy finished(&runner, &JobRunner::finished);
        QElapsedTimer clock;
        qint64 elapsed = 0;
        const RequestId id = runner.submit(
                Job{QStringLiteral("spin"), QString(), [&](JobContext &context, Status *) {
                        clock.start();
                        while (clock.elapsed() < 300) {
                            context.reportProgress(clock.elapsed() / 300.0);
                        }
                        elapsed = clock.elapsed();
                        QThread::msleep(60);          // past the interval, a change
                        context.reportProgress(1.0);  // is never dropped
                        return JobStep::Done;
                    }});
        QTRY_VERIFY(hasFinished(finished, id));
        QVERIFY(progress.count() >= 2);
        // ≤ 20 per second, plus the first one.
        QVERIFY2(progress.count() <= elapsed / 50 + 3,
                 qPrintable(QString::number(progress.count())));
        const auto last = progress.last().at(1).value<gyrus::JobProgress>();
        QCOMPARE(last.fraction, 1.0);
    }

    void cancelAllStopsEverything()
    {
        JobRunner runner;
        QSignalSpy finished(&runner, &JobRunner::finished);
        QSemaphore running;
        const RequestId endless = runner.submit(
                Job{QStringLiteral("endless"), QString(), [&](JobContext &context, Status *) {
                        running.release();
                        QThread::msleep(1);
                        return context.isCancelled() ? JobStep::Done : JobStep::Continue;
                    }});
        QVERIFY(running.tryAcquire(1, 5000));
        const RequestId queued = runner.submit(quickJob(QStringLiteral("queued")));
        runner.cancelAll();
        QTRY_VERIFY(hasFinished(finished, endless) && hasFinished(finished, queued));
        QCOMPARE(statusOf(finished, endless).code(), Status::Code::Cancelled);
        QTRY_COMPARE(runner.pendingCount(), 0);
        // The runner keeps working after a cancelAll().
        const RequestId after = runner.submit(quickJob(QStringLiteral("after")));
        QTRY_VERIFY(hasFinished(finished, after));
        QVERIFY(statusOf(finished, after).isOk());
    }

    void idleAfterQueueDrains()
    {
        JobRunner runner;
        QSignalSpy idle(&runner, &JobRunner::idle);
        runner.submit(quickJob(QStringLiteral("a")));
        runner.submit(quickJob(QStringLiteral("b")));
        QTRY_VERIFY(idle.count() >= 1);
        QCOMPARE(runner.pendingCount(), 0);
    }

    void shutdownRunsOnWorkerThreadAndCancelsWork()
    {
        QThread *shutdownThread = nullptr;
        QThread *worker = nullptr;
        std::atomic<bool> stopping{false};
        std::atomic<int> slicesAfterStop{0};
        QSemaphore running;
        {
            JobRunner runner;
            worker = runner.workerThread();
            runner.setShutdown([&] { shutdownThread = QThread::currentThread(); });
            runner.submit(Job{QStringLiteral("endless"), QString(), [&](JobContext &, Status *) {
                                  running.release();
                                  if (stopping) {
                                      slicesAfterStop++;
                                  }
                                  QThread::msleep(1);
                                  return JobStep::Continue;  // never ends by itself
                              }});
            QVERIFY(running.tryAcquire(1, 5000));
            stopping = true;
        }  // destructor: cancel, shutdown closure, join
        QCOMPARE(shutdownThread, worker);
        // The slice running when the stop came, then one clean-up slice that sees the cancel.
        QVERIFY2(slicesAfterStop <= 2, qPrintable(QString::number(slicesAfterStop)));
    }

    void submitAfterStopIsRefused()
    {
        JobRunner runner;
        runner.stop();
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("engine stopped")));
        QCOMPARE(runner.submit(quickJob(QStringLiteral("late"))), RequestId(0));
    }
};

QTEST_GUILESS_MAIN(TestJobRunner)
#include "tst_job_runner.moc"
