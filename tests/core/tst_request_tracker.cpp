// RequestTracker over a FakeEngineClient (a real JobRunner, so results arrive asynchronously):
// results reach the slot that asked, latest wins per slot, a slot is free before its finished
// callback, and nothing reaches an owner that is gone.

#include "core/engine/request_tracker.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/request_spy.h"

#include <QSignalSpy>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace gyrus;
using gyrus::test::FakeEngineClient;

namespace {

enum Slot
{
    First,
    Second,
};

void loadFakeModel(FakeEngineClient &engine)
{
    QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
    engine.loadModel(ModelSpec{QStringLiteral("/models/demo")});
    QTRY_COMPARE(loaded.count(), 1);
}

GenerateRequest shortGeneration()
{
    GenerateRequest request;
    request.prompt = QStringLiteral("The jury");
    request.options.maxNewTokens = 4;
    return request;
}

}  // namespace

class TestRequestTracker : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void resultsReachOnlyTheSlotThatAsked()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        QObject owner;
        RequestTracker requests(&engine, &owner);
        QString first;
        QString second;
        QList<Status> ends;
        requests.onResult(First, &EngineClient::tokenGenerated,
                          [&](const QString &text) { first += text; });
        requests.onResult(Second, &EngineClient::tokenGenerated,
                          [&](const QString &text) { second += text; });
        requests.onFinished(First, [&](const Status &status) { ends << status; });
        // A request nobody tracks: its tokens reach neither slot.
        const RequestId untracked = engine.generate(shortGeneration());
        QSignalSpy finished(&engine, &EngineClient::finished);
        requests.start(First, engine.generate(shortGeneration()));
        QVERIFY(requests.isRunning(First));
        QVERIFY(!requests.isRunning(Second));
        QTRY_COMPARE(ends.size(), 1);
        QVERIFY(ends.at(0).isOk());
        QVERIFY(!first.isEmpty());
        QVERIFY(second.isEmpty());
        QVERIFY(!requests.isRunning(First));
        QVERIFY(!requests.anyRunning());
        QTRY_VERIFY(std::any_of(finished.cbegin(), finished.cend(), [&](const QList<QVariant> &a) {
            return a.at(0).value<RequestId>() == untracked;
        }));
        QCOMPARE(ends.size(), 1);  // the untracked request's end went to nobody
    }

    void latestWinsPerSlot()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        QObject owner;
        RequestTracker requests(&engine, &owner);
        engine.setSliceMs(100);  // the older request is still running when the newer starts
        int delivered = 0;
        QList<Status> ends;
        QSignalSpy tokens(&engine, &EngineClient::tokenGenerated);
        QSignalSpy finished(&engine, &EngineClient::finished);
        requests.onResult(First, &EngineClient::tokenGenerated,
                          [&](const QString &) { ++delivered; });
        requests.onFinished(First, [&](const Status &status) { ends << status; });
        const RequestId older = requests.start(First, engine.generate(shortGeneration()));
        QTRY_VERIFY(!tokens.isEmpty());  // running, not just queued
        const RequestId newer = requests.start(First, engine.generate(shortGeneration()));
        const int deliveredBeforeRestart = delivered;
        QCOMPARE(requests.current(First), newer);
        QTRY_COMPARE(ends.size(), 1);
        QVERIFY(ends.at(0).isOk());
        // The older request was cancelled by the engine, and its end was not reported.
        QTRY_VERIFY(test::hasFinished(finished, older));
        QCOMPARE(test::statusOf(finished, older).code(), Status::Code::Cancelled);
        QCOMPARE(ends.size(), 1);
        // After the restart only the newer request's tokens were delivered.
        const auto newerTokens =
                std::count_if(tokens.cbegin(), tokens.cend(), [&](const QList<QVariant> &args) {
                    return args.at(0).value<RequestId>() == newer;
                });
        QVERIFY(newerTokens > 0);
        QCOMPARE(delivered - deliveredBeforeRestart, int(newerTokens));
    }

    void slotIsFreeBeforeItsFinishedCallback()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        QObject owner;
        RequestTracker requests(&engine, &owner);
        int ends = 0;
        bool runningInCallback = true;
        requests.onFinished(First, [&](const Status &) {
            runningInCallback = requests.isRunning(First);
            if (++ends == 1) {
                requests.start(First, engine.generate(shortGeneration()));  // chain the next
            }
        });
        QSignalSpy changed(&requests, &RequestTracker::runningChanged);
        requests.start(First, engine.generate(shortGeneration()));
        QTRY_COMPARE(ends, 2);
        QVERIFY(!runningInCallback);
        QVERIFY(!requests.anyRunning());
        QVERIFY(changed.count() >= 4);  // start, end, start, end
    }

    void cancelReportsTheEndToTheSlot()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        QObject owner;
        RequestTracker requests(&engine, &owner);
        QList<Status> ends;
        requests.onFinished(First, [&](const Status &status) { ends << status; });
        GenerateRequest request = shortGeneration();
        request.options.maxNewTokens = 1000;
        requests.start(First, engine.generate(request));
        requests.cancel(First);
        QTRY_COMPARE(ends.size(), 1);
        QCOMPARE(ends.at(0).code(), Status::Code::Cancelled);
    }

    void nothingReachesAnOwnerThatIsGone()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        auto owner = std::make_unique<QObject>();
        auto *requests = new RequestTracker(&engine, owner.get());
        int calls = 0;
        requests->onResult(First, &EngineClient::tokenGenerated, [&](const QString &) { ++calls; });
        requests->onFinished(First, [&](const Status &) { ++calls; });
        QSignalSpy finished(&engine, &EngineClient::finished);
        const RequestId id = requests->start(First, engine.generate(shortGeneration()));
        owner.reset();  // deletes the tracker with it
        QTRY_VERIFY(test::hasFinished(finished, id));
        QCOMPARE(calls, 0);
    }
};

QTEST_GUILESS_MAIN(TestRequestTracker)
#include "tst_request_tracker.moc"
