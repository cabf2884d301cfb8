// SessionState: one change signal per real change of the prompt set, a new epoch and one signal
// per model or SAE load (a reload of the same directory included), and the engine's loads taken
// as they come, over the fake engine. SaeRuns: the runs in order, Resume's request, and the
// workspace JSON read back as it was written.

#include "core/session/session_state.h"
#include "tests/support/fake_engine_client.h"

#include <QSignalSpy>
#include <QtTest>

using namespace gyrus;
using gyrus::test::FakeEngineClient;

namespace {

PromptSet twoItems(const QString &second)
{
    PromptSet set;
    set.name = QStringLiteral("agreement");
    for (const QString &text : {QStringLiteral("The keys are"), second}) {
        PromptItem item;
        item.id = QString::number(set.items.size());
        item.text = text;
        set.items.append(item);
    }
    return set;
}

}  // namespace

class TestSessionState : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void aPromptSetSignalsOncePerRealChange()
    {
        SessionState state;
        QSignalSpy changed(&state, &SessionState::promptSetChanged);
        const PromptSet first = twoItems(QStringLiteral("The key is"));
        state.setPromptSet(first);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(state.promptSet(), first);
        // The same set again (the Prompt sets dock re-emits after a save): no change.
        state.setPromptSet(first);
        QCOMPARE(changed.count(), 1);
        // An edited item is a change, and the signal carries the new set.
        const PromptSet edited = twoItems(QStringLiteral("The key was"));
        state.setPromptSet(edited);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(changed.last().at(0).value<PromptSet>(), edited);
        // The same items from another file are a change too (results name the file).
        PromptSet moved = edited;
        moved.sourceFile = QStringLiteral("/sets/agreement.json");
        state.setPromptSet(moved);
        QCOMPARE(changed.count(), 3);
        QCOMPARE(state.promptSet().sourceFile, moved.sourceFile);
    }

    void everyLoadIsANewEpochEvenOfTheSameDirectory()
    {
        SessionState state;
        QSignalSpy model(&state, &SessionState::modelChanged);
        QSignalSpy sae(&state, &SessionState::saeChanged);
        QVERIFY(!state.hasModel());
        QCOMPARE(state.modelEpoch(), quint64(0));
        ModelInfo info;
        info.path = QStringLiteral("/models/demo");
        info.layers = 4;
        state.setModel(info);
        QCOMPARE(state.modelEpoch(), quint64(1));
        QVERIFY(state.hasModel());
        state.setModel(info);  // reloaded: the weights may differ on disk
        QCOMPARE(state.modelEpoch(), quint64(2));
        QCOMPARE(model.count(), 2);
        QCOMPARE(state.model().layers, 4);
        // The SAE's epoch is its own.
        QCOMPARE(state.saeEpoch(), quint64(0));
        SaeInfo saeInfo;
        saeInfo.path = QStringLiteral("/saes/demo");
        state.setSae(saeInfo);
        QCOMPARE(state.saeEpoch(), quint64(1));
        QCOMPARE(state.modelEpoch(), quint64(2));
        QCOMPARE(sae.count(), 1);
        QCOMPARE(model.count(), 2);
    }

    void followsTheEngineLoads()
    {
        FakeEngineClient engine;
        QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
        engine.loadModel(ModelSpec{QStringLiteral("/models/demo")});
        QTRY_COMPARE(loaded.count(), 1);
        // A state made after the first load starts from what the engine has.
        SessionState state;
        QSignalSpy model(&state, &SessionState::modelChanged);
        QSignalSpy sae(&state, &SessionState::saeChanged);
        state.follow(&engine);
        QCOMPARE(model.count(), 1);
        QCOMPARE(state.model().path, QStringLiteral("/models/demo"));
        QCOMPARE(sae.count(), 0);
        QVERIFY(!state.hasSae());
        engine.loadModel(
                ModelSpec{QStringLiteral("/models/other"), QStringLiteral("cpu"), Dtype::BFloat16});
        QTRY_COMPARE(model.count(), 2);
        QCOMPARE(state.modelEpoch(), quint64(2));
        QCOMPARE(state.model().path, QStringLiteral("/models/other"));
        QCOMPARE(state.model().dtype, Dtype::BFloat16);
        engine.loadSae(SaeSpec{QStringLiteral("/saes/demo")});
        QTRY_COMPARE(sae.count(), 1);
        QCOMPARE(state.saeEpoch(), quint64(1));
        QCOMPARE(state.sae().path, QStringLiteral("/saes/demo"));
        QCOMPARE(model.count(), 2);
    }

    void saeRunsKeepEachDirectoryOnceNewestLast()
    {
        SaeRuns runs;
        QSignalSpy changed(&runs, &SaeRuns::changed);
        SaeTrainRequest first;
        first.outDirectory = QStringLiteral("/runs/a");
        first.sae.dSae = 512;
        first.resumeCheckpoint = QStringLiteral("/runs/a.checkpoint");
        runs.begin(first);
        SaeTrainRequest second = first;
        second.outDirectory = QStringLiteral("/runs/b");
        runs.begin(second);
        runs.begin(first);  // trained into again: moves last
        QCOMPARE(runs.directories(),
                 QStringList({QStringLiteral("/runs/b"), QStringLiteral("/runs/a")}));
        QCOMPARE(changed.count(), 3);
        // Resume takes the run's own settings, not the checkpoint it was once resumed from.
        QCOMPARE(runs.requestOf(QStringLiteral("/runs/a"))->sae.dSae, 512);
        QVERIFY(runs.requestOf(QStringLiteral("/runs/a"))->resumeCheckpoint.isEmpty());
        QVERIFY(!runs.requestOf(QStringLiteral("/runs/c")));
        QCOMPARE(runs.lastSubmitted().resumeCheckpoint, first.resumeCheckpoint);
        // A new submission drops the previous run's outcome and evaluation.
        SaeTrainOutcome outcome;
        outcome.outDirectory = QStringLiteral("/runs/a");
        runs.setOutcome(outcome);
        SaeEvalResult evaluation;
        evaluation.ceLossRecovered = 0.9;
        runs.setEvaluation(evaluation);
        runs.begin(second);
        QVERIFY(!runs.outcome());
        QVERIFY(!runs.evaluation());
    }

    void saeRunsReadBackWhatTheyWrote()
    {
        SaeRuns runs;
        SaeTrainRequest request;
        request.outDirectory = QStringLiteral("/runs/a");
        request.sae.architecture = SaeArchitecture::JumpRelu;
        request.seed = 18446744073709551557ULL;  // survives JSON (written as a string)
        runs.begin(request);
        for (int step = 10; step <= 30; step += 10) {
            SaeTrainMetrics metrics;
            metrics.step = step;
            metrics.totalSteps = 30;
            metrics.explainedVariance = 0.5 + step / 100.0;
            metrics.densityHistogram = {1, 2, 3};
            runs.addMetrics(metrics);
        }
        runs.setPausedCheckpoint(QStringLiteral("/runs/a.checkpoint"));
        SaeTrainOutcome outcome;
        outcome.outDirectory = QStringLiteral("/runs/a");
        outcome.last = runs.history().constLast();
        runs.setOutcome(outcome);
        SaeEvalResult evaluation;
        evaluation.saePath = QStringLiteral("/runs/a");
        evaluation.tokens = 16384;
        evaluation.ceLossRecovered = 0.875;
        runs.setEvaluation(evaluation);

        SaeRuns back;
        back.restore(runs.toJson());
        QCOMPARE(back.toJson(), runs.toJson());
        QCOMPARE(back.directories(), runs.directories());
        QCOMPARE(back.lastSubmitted().seed, request.seed);
        QCOMPARE(back.lastSubmitted().sae.architecture, SaeArchitecture::JumpRelu);
        QCOMPARE(back.history().size(), 3);
        QCOMPARE(back.history()[2].explainedVariance, 0.8);
        QCOMPARE(back.history()[1].densityHistogram, QVector<double>({1, 2, 3}));
        QCOMPARE(back.pausedCheckpoint(), QStringLiteral("/runs/a.checkpoint"));
        QCOMPARE(back.outcome()->last.step, qint64(30));
        QCOMPARE(back.evaluation()->tokens, qint64(16384));
        QCOMPARE(back.evaluation()->ceLossRecovered, 0.875);

        back.clear();
        QVERIFY(back.directories().isEmpty());
        QVERIFY(back.history().isEmpty());
        QVERIFY(!back.outcome() && !back.evaluation());
        QVERIFY(back.pausedCheckpoint().isEmpty());
        // A workspace without the dock's runs reads as none.
        SaeRuns empty;
        empty.restore(QJsonObject());
        QVERIFY(empty.directories().isEmpty() && !empty.outcome());
    }

    void theSessionOwnsTheRuns()
    {
        SessionState state;
        QVERIFY(state.saeRuns());
        QCOMPARE(state.saeRuns()->parent(), &state);
    }
};

QTEST_GUILESS_MAIN(TestSessionState)
#include "tst_session_state.moc"
