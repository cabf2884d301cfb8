// The Steering dock with FakeEngineClient: the clamp table is a view of SelectionHub's clamp set
// (add-selected, edits and the value editor go to the hub), Run streams both columns and shows
// the diff and KL, the sweep fills the chart, and clamp sets round-trip through JSON files.

#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "core/steering/clamp_set_model.h"
#include "core/steering/next_token_shift_model.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/request_spy.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/views/clamp_value_editor.h"
#include "widgets/views/interventions_editor.h"
#include "widgets/views/strength_sweep_plot.h"
#include "widgets/views/text_diff_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;
using gyrus::test::FakeEngineClient;
using gyrus::widgets::SteeringPanel;

namespace {

void loadFakeModel(FakeEngineClient &engine)
{
    QSignalSpy loaded(&engine, &EngineClient::modelLoaded);
    engine.loadModel(ModelSpec{QStringLiteral("/models/demo")});
    QTRY_COMPARE(loaded.count(), 1);
}

}  // namespace

class TestSteeringPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void addSelectedPutsTheFeatureInTheHub()
    {
        FakeEngineClient engine;
        SelectionHub hub;
        SteeringPanel panel(&engine, &hub);
        QVERIFY(!panel.addSelectedButton()->isEnabled());
        hub.selectFeature(42, QStringLiteral("heatmap"));
        QVERIFY(panel.addSelectedButton()->isEnabled());
        QTest::mouseClick(panel.addSelectedButton(), Qt::LeftButton);
        QCOMPARE(hub.clampSet().clamps.size(), 1);
        QCOMPARE(hub.clampSet().clamps.at(0).feature, 42);
        QCOMPARE(hub.clampSet().clamps.at(0).mode, ClampMode::Clamp);
        QCOMPARE(panel.clampModel()->rowCount(), 1);
        // A clamp added elsewhere (click-to-clamp in another dock) shows up in the table.
        FeatureClamp other;
        other.feature = 7;
        other.mode = ClampMode::Scale;
        other.value = 2.0;
        hub.addClamp(other);
        QCOMPARE(panel.clampModel()->rowCount(), 2);
        QCOMPARE(panel.clampModel()->index(1, ClampSetModel::ModeColumn).data().toString(),
                 QStringLiteral("scale"));
    }

    void addSelectedUsesTheObservedMaximum()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        QSignalSpy sae(&engine, &EngineClient::saeLoaded);
        engine.loadSae(SaeSpec{QStringLiteral("/saes/demo")});
        QTRY_COMPARE(sae.count(), 1);
        SelectionHub hub;
        SteeringPanel panel(&engine, &hub);
        QSignalSpy ranges(&engine, &EngineClient::featureRangesReady);
        hub.selectFeature(300);
        QTRY_VERIFY(ranges.count() >= 1);
        QTRY_VERIFY(panel.clampModel()->rangeOf(300).has_value());
        panel.addSelectedFeature();
        // The fake reports [0, feature / 100] as the feature's range on the prompt.
        QCOMPARE(hub.clampSet().clamps.at(0).value, 3.0);
        QCOMPARE(panel.clampModel()->index(0, ClampSetModel::RangeColumn).data().toString(),
                 QStringLiteral("0 … 3"));
    }

    void tableAndEditorEditsGoToTheHub()
    {
        FakeEngineClient engine;
        SelectionHub hub;
        hub.addClamp(FeatureClamp{5, ClampMode::Clamp, 1.0, ClampPositions::All, true});
        SteeringPanel panel(&engine, &hub);
        ClampSetModel *model = panel.clampModel();
        QVERIFY(model->setData(model->index(0, ClampSetModel::ModeColumn), QStringLiteral("add")));
        QVERIFY(model->setData(model->index(0, ClampSetModel::ValueColumn), 2.5));
        QVERIFY(model->setData(model->index(0, ClampSetModel::PositionsColumn),
                               QStringLiteral("generated")));
        QVERIFY(model->setData(model->index(0, ClampSetModel::EnabledColumn), Qt::Unchecked,
                               Qt::CheckStateRole));
        QVERIFY(!model->setData(model->index(0, ClampSetModel::ModeColumn),
                                QStringLiteral("boost")));
        const FeatureClamp edited = hub.clampSet().clamps.at(0);
        QCOMPARE(edited.mode, ClampMode::Add);
        QCOMPARE(edited.value, 2.5);
        QCOMPARE(edited.positions, ClampPositions::Generated);
        QVERIFY(!edited.enabled);
        // The value editor under the table edits the current row.
        panel.setCurrentRow(0);
        QCOMPARE(hub.selectedFeature(), 5);  // selecting a row selects the feature everywhere
        panel.valueEditor()->spinBox()->setValue(-1.25);
        QCOMPARE(hub.clampSet().clamps.at(0).value, -1.25);
        // Labels come from the hub's annotations.
        hub.setAnnotation(5, FeatureAnnotation{QStringLiteral("legal words"), QString()});
        QCOMPARE(model->index(0, ClampSetModel::FeatureColumn).data().toString(),
                 QStringLiteral("#5  legal words"));
    }

    void runStreamsBothColumnsThenDiffAndKl()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        SelectionHub hub;
        hub.addClamp(FeatureClamp{9, ClampMode::Clamp, 4.0, ClampPositions::All, true});
        SteeringPanel panel(&engine, &hub);
        panel.setPrompt(QStringLiteral("The jury"));
        panel.setSampling(4, 0.7, 11);
        QSignalSpy tokens(&engine, &EngineClient::steeringToken);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        // Streaming: the baseline column fills before the steered one is complete.
        QTRY_VERIFY(!panel.baselineText().isEmpty());
        QTRY_COMPARE(panel.steeredText(), QStringLiteral(" THE COURT SAID."));
        QCOMPARE(panel.baselineText(), QStringLiteral(" the court said."));
        QCOMPARE(tokens.count(), 8);
        const SteeringRequest sent = engine.lastSteeringRequest();
        QCOMPARE(sent.prompt, QStringLiteral("The jury"));
        QCOMPARE(sent.options.seed, quint64(11));
        QCOMPARE(sent.options.temperature, 0.7);
        QCOMPARE(sent.clamps, hub.clampSet());
        QTRY_COMPARE(panel.lastKl(), 0.1);
        QCOMPARE(panel.nextTokenModel()->rowCount(), 2);
        QTRY_VERIFY(panel.diffView()->addedWords() == 3 && panel.diffView()->removedWords() == 3);
        QTRY_VERIFY(panel.statusText().contains(QStringLiteral("same seed")));
    }

    void secondRunReplacesTheFirst()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        SelectionHub hub;
        hub.addClamp(FeatureClamp{9, ClampMode::Clamp, 4.0, ClampPositions::All, true});
        SteeringPanel panel(&engine, &hub);
        panel.setPrompt(QStringLiteral("The jury"));
        panel.setSampling(4, 0.7, 11);
        engine.setSliceMs(100);  // the first run is still running at the second click
        QSignalSpy tokens(&engine, &EngineClient::steeringToken);
        QSignalSpy finished(&engine, &EngineClient::finished);
        QSignalSpy outcomes(&engine, &EngineClient::steeringFinished);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QTRY_VERIFY(!tokens.isEmpty());  // the first run is running, not just queued
        const RequestId first = tokens.at(0).at(0).value<RequestId>();
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QTRY_COMPARE(outcomes.count(), 1);
        QTRY_VERIFY(test::hasFinished(finished, first));
        QCOMPARE(test::statusOf(finished, first).code(), Status::Code::Cancelled);
        QVERIFY(outcomes.at(0).at(0).value<RequestId>() != first);
        QTRY_COMPARE(panel.steeredText(), QStringLiteral(" THE COURT SAID."));
        QTRY_VERIFY(panel.statusText().contains(QStringLiteral("same seed")));
    }

    void sweepFillsTheChart()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        SelectionHub hub;
        hub.addClamp(FeatureClamp{9, ClampMode::Clamp, 4.0, ClampPositions::All, true});
        SteeringPanel panel(&engine, &hub);
        panel.setCurrentRow(0);
        panel.setSweepGrid(0.0, 4.0, 5);
        panel.sweep();
        QTRY_COMPARE(panel.sweepPlot()->pointCount(), 5);
        QTRY_VERIFY(panel.statusText().contains(QStringLiteral("Sweep done")));
        QVERIFY(engine.log().contains(QStringLiteral("sweep 9")));
    }

    void clampSetsRoundTripThroughJson()
    {
        QTemporaryDir dir;
        FakeEngineClient engine;
        SelectionHub hub;
        hub.addClamp(FeatureClamp{12, ClampMode::Scale, 0.5, ClampPositions::Prompt, true});
        hub.addClamp(FeatureClamp{400, ClampMode::Add, -3.0, ClampPositions::Generated, false});
        SteeringPanel panel(&engine, &hub);
        const QString path = dir.filePath(QStringLiteral("legal.json"));
        QVERIFY(panel.saveClampSet(path).isOk());
        const ClampSet saved = hub.clampSet();
        hub.clearClamps();
        QCOMPARE(panel.clampModel()->rowCount(), 0);
        QVERIFY(panel.loadClampSet(path).isOk());
        QCOMPARE(hub.clampSet().clamps, saved.clamps);
        QCOMPARE(hub.clampSet().name, QStringLiteral("legal"));
        QCOMPARE(panel.clampModel()->rowCount(), 2);
        // A broken file is refused with its name, and the hub keeps its set.
        QFile broken(dir.filePath(QStringLiteral("broken.json")));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"clamps\": [{\"feature\": \"x\"}]}");
        broken.close();
        const Status status = panel.loadClampSet(broken.fileName());
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(QStringLiteral("broken.json")),
                 qPrintable(status.message()));
        QCOMPARE(hub.clampSet().clamps.size(), 2);
    }

    void interventionsGoWithTheRunBesideTheClamps()
    {
        FakeEngineClient engine;
        loadFakeModel(engine);
        SelectionHub hub;
        SessionState session;  // as the window's: the engine's loads, the Prompt sets dock's set
        session.follow(&engine);
        SteeringPanel panel(&engine, &hub, &session);
        widgets::InterventionsEditor *editor = panel.interventionsEditor();
        PromptSet set;
        set.name = QStringLiteral("tense");
        set.factors = {PromptFactor{QStringLiteral("tense"),
                                    {QStringLiteral("present"), QStringLiteral("past")}}};
        set.items = {{QStringLiteral("a"),
                      QStringLiteral("He walks"),
                      {{QStringLiteral("tense"), QStringLiteral("present")}},
                      QString(),
                      {}},
                     {QStringLiteral("b"),
                      QStringLiteral("He walked"),
                      {{QStringLiteral("tense"), QStringLiteral("past")}},
                      QString(),
                      {}}};
        session.setPromptSet(set);
        editor->setHookNames({QStringLiteral("hook_embed"),
                              QStringLiteral("blocks.0.hook_resid_pre"),
                              QStringLiteral("blocks.0.hook_attn_out"),
                              QStringLiteral("blocks.1.hook_resid_post")});
        QCOMPARE(editor->hook()->count(), 2);  // residual hooks only
        QCOMPARE(editor->sideA()->currentText(), QStringLiteral("present"));
        QCOMPARE(editor->sideB()->currentText(), QStringLiteral("past"));

        // A malformed head is refused before anything is asked of the engine.
        editor->headsEdit()->setText(QStringLiteral("1.2, x"));
        panel.setPrompt(QStringLiteral("The jury"));
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QVERIFY(panel.statusText().contains(QStringLiteral("'x' is not LAYER.HEAD")));

        editor->headsEdit()->setText(QStringLiteral("1.2, 0.3=mean"));
        editor->conceptCheck()->setChecked(true);
        editor->hook()->setCurrentText(QStringLiteral("blocks.1.hook_resid_post"));
        editor->alpha()->setValue(6.5);
        QTest::mouseClick(panel.runButton(), Qt::LeftButton);
        QTRY_VERIFY(!panel.steeredText().isEmpty());
        const SteeringRequest sent = engine.lastSteeringRequest();
        QVERIFY(sent.interventions.heads == (QList<HeadAblation>{{1, 2, HeadAblationMode::Zero},
                                                                 {0, 3, HeadAblationMode::Mean}}));
        QCOMPARE(sent.interventions.vectors.size(), qsizetype(1));
        const SteeringVector &vector = sent.interventions.vectors.front();
        QCOMPARE(vector.hook, QStringLiteral("blocks.1.hook_resid_post"));
        QCOMPARE(vector.alpha, 6.5);
        QVERIFY(vector.direction.empty());  // the engine computes it from the set
        QVERIFY(vector.concept.has_value());
        QVERIFY(vector.concept->set == set);
        QCOMPARE(vector.concept->sideA, QStringLiteral("present"));
        QCOMPARE(vector.concept->sideB, QStringLiteral("past"));

        // The fields survive a workspace round trip.
        WorkspaceData data;
        const QJsonObject state = panel.workspaceState(&data);
        SteeringPanel restored(&engine, &hub, &session);  // the same open set
        QVERIFY(restored.restoreWorkspaceState(state, data).isOk());
        QCOMPARE(restored.interventionsEditor()->headsEdit()->text(),
                 QStringLiteral("1.2, 0.3=mean"));
        QVERIFY(restored.interventionsEditor()->conceptCheck()->isChecked());
        QCOMPARE(restored.interventionsEditor()->hook()->currentText(),
                 QStringLiteral("blocks.1.hook_resid_post"));
        QCOMPARE(restored.interventionsEditor()->alpha()->value(), 6.5);
    }
};

QTEST_MAIN(TestSteeringPanel)
#include "tst_steering_panel.moc"
