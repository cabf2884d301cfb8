// The Features dock with FakeEngineClient: it follows the hub's selection, writes labels and
// clamps to the hub, selects neighbours, and offers a scan with progress when there is none.

#include "core/features/corpus_scan_path.h"
#include "core/session/selection_hub.h"
#include "tests/llm/detection_judge.h"
#include "tests/llm/scripted_judge.h"
#include "tests/support/fake_engine_client.h"
#include "widgets/panels/detection_score_box.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/views/activation_histogram_plot.h"
#include "widgets/views/corpus_scan_form.h"
#include "widgets/views/explanation_box.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolButton>
#include <QtTest>

using gyrus::FeatureClamp;
using gyrus::SelectionHub;
using gyrus::test::FakeEngineClient;
using gyrus::widgets::FeatureInspectorPanel;
using View = gyrus::widgets::FeatureInspectorPanel::View;

class TestFeatureInspectorPanel : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_sae;      // a fake SAE directory with a saved scan file in it
    QTemporaryDir m_bareSae;  // and one without

    // Loads a fake SAE from `directory` and waits until the panel has seen it (the spy hears the
    // signal directly on the engine thread, before the panel's queued slot runs).
    void loadSae(FakeEngineClient &engine, const QTemporaryDir &directory,
                 const FeatureInspectorPanel &panel)
    {
        engine.loadSae(gyrus::SaeSpec{directory.path(), QStringLiteral("cpu")});
        QTRY_VERIFY(panel.view() != View::NoSae);
    }

    // A panel on an engine with an SAE and a saved scan, showing `feature`.
    void showFeature(FakeEngineClient &engine, SelectionHub &hub, FeatureInspectorPanel &panel,
                     int feature)
    {
        QSignalSpy shown(&panel, &FeatureInspectorPanel::detailsShown);
        hub.selectFeature(feature, QStringLiteral("test"));
        QTRY_VERIFY(!shown.isEmpty());
        QCOMPARE(shown.last().at(0).toInt(), feature);
        QCOMPARE(panel.view(), View::Details);
        Q_UNUSED(engine);
    }

private Q_SLOTS:

    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);  // the default scan folder: not the user's
        // Different files, so the two fake SAEs have different fingerprints (scan file names).
        for (const QTemporaryDir *sae : {&m_sae, &m_bareSae}) {
            QFile cfg(sae->filePath(QStringLiteral("cfg.json")));
            QVERIFY(cfg.open(QIODevice::WriteOnly));
            cfg.write(QStringLiteral("{\"d_in\": 16, \"dir\": \"%1\"}").arg(sae->path()).toUtf8());
        }
        QFile saved(m_sae.filePath(QStringLiteral("gyrus_scan.bin")));
        QVERIFY(saved.open(QIODevice::WriteOnly));  // the fake engine does not read it
    }

    void withoutSaeSaysSo()
    {
        FakeEngineClient engine;
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        QCOMPARE(panel.view(), View::NoSae);
        hub.selectFeature(3);
        QCOMPARE(panel.view(), View::NoSae);
    }

    void hubSelectionShowsThatFeature()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);  // the saved scan loaded
        QVERIFY(engine.log().contains(QStringLiteral("load-scan ") +
                                      m_sae.filePath(QStringLiteral("gyrus_scan.bin"))));
        showFeature(engine, hub, panel, 5);
        QCOMPARE(panel.shownFeature(), 5);
        QCOMPARE(panel.details()->feature, 5);
        QCOMPARE(panel.featureSpin()->value(), 5);
        QVERIFY(panel.topExamplesView()->toPlainText().contains(QStringLiteral("f5")));
        QVERIFY(panel.topExamplesView()->toPlainText().contains(QStringLiteral("The jury said")));
        QCOMPARE(panel.histogram()->barCount(), 4);
        QCOMPARE(panel.histogram()->totalCount(), 40.0 + 30 + 20 + 10);
        QCOMPARE(panel.neighboursView()->model()->rowCount(), 4);

        // Another dock selects another feature: the panel follows.
        showFeature(engine, hub, panel, 42);
        QVERIFY(panel.topExamplesView()->toPlainText().contains(QStringLiteral("f42")));
        QCOMPARE(panel.featureSpin()->value(), 42);
    }

    void typingAFeatureNumberSelectsIt()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        panel.featureSpin()->setValue(17);
        QCOMPARE(hub.selectedFeature(), 17);
        QTRY_COMPARE(panel.shownFeature(), 17);
    }

    void clickingANeighbourSelectsItAndBackReturns()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.resize(500, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 5);
        QSignalSpy selected(&hub, &SelectionHub::featureSelected);
        QTableView *neighbours = panel.neighboursView();
        panel.findChild<QTabWidget *>(QStringLiteral("inspector.tabs"))
                ->setCurrentWidget(neighbours);
        const QModelIndex second = neighbours->model()->index(1, 0);
        QCOMPARE(second.data().toString(), QStringLiteral("7"));
        QTest::mouseClick(neighbours->viewport(), Qt::LeftButton, {},
                          neighbours->visualRect(second).center());
        QCOMPARE(hub.selectedFeature(), 7);
        QCOMPARE(selected.last().at(1).toString(), QStringLiteral("inspector"));
        QTRY_COMPARE(panel.shownFeature(), 7);

        QVERIFY(panel.canGoBack());
        panel.goBack();
        QCOMPARE(hub.selectedFeature(), 5);
        QVERIFY(panel.canGoForward());
        panel.goForward();
        QCOMPARE(hub.selectedFeature(), 7);
    }

    void editingLabelAndNotesWritesTheAnnotation()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 9);
        QTest::keyClicks(panel.labelEdit(), QStringLiteral("courtroom"));
        QCOMPARE(hub.annotation(9).label, QStringLiteral("courtroom"));
        panel.notesEdit()->setPlainText(QStringLiteral("fires on legal words"));
        QCOMPARE(hub.annotation(9).notes, QStringLiteral("fires on legal words"));
        QCOMPARE(hub.annotation(9).label, QStringLiteral("courtroom"));

        // Another feature has its own (empty) label; coming back shows this one again.
        showFeature(engine, hub, panel, 10);
        QCOMPARE(panel.labelEdit()->text(), QString());
        showFeature(engine, hub, panel, 9);
        QCOMPARE(panel.labelEdit()->text(), QStringLiteral("courtroom"));
        // A label set elsewhere (a workspace load) shows up.
        hub.setAnnotation(9, gyrus::FeatureAnnotation{QStringLiteral("legal"), QString()});
        QCOMPARE(panel.labelEdit()->text(), QStringLiteral("legal"));
    }

    // Explain: off without an endpoint; a suggestion is only a suggestion until accepted (edited
    // here), and then it is the label, with its provenance in the notes.
    void explainSuggestsAndAcceptingWritesTheLabel()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 9);
        gyrus::widgets::ExplanationBox *box = panel.explanationBox();
        QVERIFY(!box->explainButton()->isEnabled());
        QVERIFY(box->explainButton()->toolTip().contains(QStringLiteral("--llm-endpoint")));

        gyrus::test::ScriptedJudge judge([](const gyrus::ChatRequest &request) {
            return request.messages.back().content.contains(QStringLiteral("<<"))
                           ? QStringLiteral("Courtroom talk\nEXPLANATION: Legal proceedings.")
                           : QStringLiteral("no marked examples?");
        });
        panel.setExplainer(&judge);
        hub.setAnnotation(
                9, gyrus::FeatureAnnotation{QStringLiteral("old"), QStringLiteral("my notes")});
        QVERIFY(box->explainButton()->isEnabled());
        QTest::mouseClick(box->explainButton(), Qt::LeftButton);
        QTRY_VERIFY(box->acceptButton()->isVisibleTo(box));
        QCOMPARE(box->suggestionEdit()->text(), QStringLiteral("Courtroom talk"));
        QCOMPARE(hub.annotation(9).label, QStringLiteral("old"));  // not before accepting
        box->suggestionEdit()->setText(QStringLiteral("Courtroom"));
        QTest::mouseClick(box->acceptButton(), Qt::LeftButton);
        QCOMPARE(hub.annotation(9).label, QStringLiteral("Courtroom"));
        QCOMPARE(panel.labelEdit()->text(), QStringLiteral("Courtroom"));
        // The provenance is stored with the label, not mixed into the user's notes.
        QCOMPARE(hub.annotation(9).notes, QStringLiteral("my notes"));
        const QJsonObject provenance = hub.annotation(9).explanation;
        QVERIFY(provenance.value(QStringLiteral("explainer"))
                        .toString()
                        .startsWith(QStringLiteral("scripted judge")));
        QCOMPARE(provenance.value(QStringLiteral("prompt_version")).toString(),
                 QStringLiteral("gyrus-explain-v1"));
        QCOMPARE(provenance.value(QStringLiteral("label")).toString(),
                 QStringLiteral("Courtroom talk"));
        QCOMPARE(provenance.value(QStringLiteral("accepted_label")).toString(),
                 QStringLiteral("Courtroom"));
        QVERIFY(provenance.value(QStringLiteral("edited")).toBool());
        QVERIFY(provenance.value(QStringLiteral("top_examples_used")).toInt() > 0);
        QCOMPARE(provenance.value(QStringLiteral("description")).toString(),
                 QStringLiteral("Legal proceedings."));
        const QString shown = panel.labelProvenance()->text();
        QVERIFY2(panel.labelProvenance()->isVisibleTo(&panel), qPrintable(shown));
        QVERIFY2(shown.startsWith(QStringLiteral(
                         "Label edited from \"Courtroom talk\", suggested by scripted judge "
                         "(answered by scripted) (gyrus-explain-v1, ")),
                 qPrintable(shown));
        QVERIFY(shown.endsWith(QStringLiteral(": Legal proceedings.")));
        QVERIFY(!box->acceptButton()->isVisibleTo(box));

        // Typing over the label keeps its provenance; Reject clears label and provenance only.
        panel.labelEdit()->setText(QStringLiteral("Courts"));
        QTest::keyClick(panel.labelEdit(), Qt::Key_S);
        QCOMPARE(hub.annotation(9).label, QStringLiteral("Courtss"));
        QCOMPARE(hub.annotation(9).explanation, provenance);
        auto *reject = panel.findChild<QToolButton *>(QStringLiteral("inspector.rejectLabel"));
        QVERIFY(reject && reject->isVisibleTo(&panel));
        QTest::mouseClick(reject, Qt::LeftButton);
        QCOMPARE(hub.annotation(9).label, QString());
        QVERIFY(hub.annotation(9).explanation.isEmpty());
        QCOMPARE(hub.annotation(9).notes, QStringLiteral("my notes"));
        QVERIFY(!panel.labelProvenance()->isVisibleTo(&panel));
    }

    void rejectedOrUnparsableExplanationsKeepTheLabel()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 4);
        hub.setAnnotation(4, gyrus::FeatureAnnotation{QStringLiteral("mine"), QString()});
        QString answer = QStringLiteral(
                "I cannot tell what these have in common, they are all "
                "different");
        gyrus::test::ScriptedJudge judge([&answer](const gyrus::ChatRequest &) { return answer; });
        panel.setExplainer(&judge);
        gyrus::widgets::ExplanationBox *box = panel.explanationBox();
        QTest::mouseClick(box->explainButton(), Qt::LeftButton);
        QTRY_VERIFY(box->statusText().contains(QStringLiteral("does not parse")));
        QVERIFY(box->statusText().contains(QStringLiteral("the label is unchanged")));
        QVERIFY(!box->acceptButton()->isVisibleTo(box));
        QCOMPARE(hub.annotation(4).label, QStringLiteral("mine"));

        answer = QStringLiteral("Juries\nEXPLANATION: Juries.");
        QTest::mouseClick(box->explainButton(), Qt::LeftButton);
        QTRY_VERIFY(box->acceptButton()->isVisibleTo(box));
        QTest::mouseClick(box->rejectButton(), Qt::LeftButton);
        QCOMPARE(hub.annotation(4).label, QStringLiteral("mine"));
        QVERIFY(box->statusText().contains(QStringLiteral("Rejected")));
    }

    // "Score label": a judge whose votes are known (feature 7's top examples and upper quantile
    // examples active, the lowest bin's only on odd seeds, other features' examples never) gives
    // per repeat balanced accuracy (8/9 + 1) / 2 = 17/18 (seed 0) and 1 (seed 1), AUC 1; the
    // score is stored beside the label, a cancelled run keeps it, an edited label says it is
    // the earlier label's, Reject clears it with the label.
    void scoringTheLabelStoresItsDetectionScore()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 7);
        gyrus::widgets::DetectionScoreBox *box = panel.detectionScoreBox();
        QVERIFY(!box->scoreButton()->isEnabled());  // no judge configured
        gyrus::test::ScriptedJudge judge([](const gyrus::ChatRequest &request) {
            return gyrus::test::detectionAnswer(request.messages.back().content,
                                                request.seed.value_or(0),
                                                gyrus::test::fakeFeatureRule(7));
        });
        panel.setExplainer(&judge);
        QVERIFY(!box->scoreButton()->isEnabled());  // no label to score
        hub.setAnnotation(7, gyrus::FeatureAnnotation{QStringLiteral("jury verdicts"),
                                                      QStringLiteral("my notes")});
        QVERIFY(box->scoreButton()->isEnabled());
        gyrus::JudgeOptions options;
        options.repeats = 2;
        options.batchSize = 4;
        box->setJudgeOptions(options);
        QTest::mouseClick(box->scoreButton(), Qt::LeftButton);
        QVERIFY(box->isRunning());
        QVERIFY(box->cancelButton()->isVisibleTo(box));
        QTRY_VERIFY(!box->isRunning());
        const QJsonObject score = hub.annotation(7).detection;
        QVERIFY2(!score.isEmpty(), qPrintable(box->statusText()));
        QCOMPARE(score.value(QStringLiteral("label")).toString(), QStringLiteral("jury verdicts"));
        QCOMPARE(score.value(QStringLiteral("judge")).toString(), QStringLiteral("scripted judge"));
        QCOMPARE(score.value(QStringLiteral("prompt_version")).toString(),
                 QStringLiteral("gyrus-detection-v1"));
        QCOMPARE(score.value(QStringLiteral("activating")).toInt(), 9);
        QCOMPARE(score.value(QStringLiteral("examples")).toInt(), 18);
        QCOMPARE(score.value(QStringLiteral("repeats")).toInt(), 2);
        const QJsonArray perRepeat =
                score.value(QStringLiteral("balanced_accuracy_per_repeat")).toArray();
        QCOMPARE(perRepeat.size(), 2);
        QCOMPARE(perRepeat[0].toDouble(), 17.0 / 18.0);
        QCOMPARE(perRepeat[1].toDouble(), 1.0);
        QCOMPARE(score[QStringLiteral("balanced_accuracy")][QStringLiteral("estimate")].toDouble(),
                 35.0 / 36.0);
        QCOMPARE(score[QStringLiteral("auc")][QStringLiteral("estimate")].toDouble(), 1.0);
        QVERIFY(!score.value(QStringLiteral("non_activating_from")).toArray().isEmpty());
        QVERIFY(!score.value(QStringLiteral("non_activating_from"))
                         .toArray()
                         .contains(QJsonValue(7)));
        QCOMPARE(hub.annotation(7).notes, QStringLiteral("my notes"));
        QCOMPARE(hub.annotation(7).label, QStringLiteral("jury verdicts"));
        // 18 examples in batches of 4, twice; every prompt names the label.
        QCOMPARE(judge.requests.size(), 2 * 5);
        QVERIFY(judge.requests[0].messages.back().content.contains(
                QStringLiteral("\"jury verdicts\"")));
        QVERIFY2(box->resultText().startsWith(
                         QStringLiteral("Detection score: balanced accuracy 0.97 [")),
                 qPrintable(box->resultText()));
        QVERIFY(box->resultText().contains(QStringLiteral("AUC 1.00")));
        QVERIFY(box->resultText().contains(QStringLiteral("scripted judge, gyrus-detection-v1")));

        // Cancelled while reading other features' examples: the score stays.
        box->score();
        QVERIFY(box->isRunning());
        box->cancel();
        QVERIFY(!box->isRunning());
        QVERIFY(box->statusText().contains(QStringLiteral("previous score is kept")));
        QTest::qWait(50);
        QCOMPARE(hub.annotation(7).detection, score);

        // Cancelled while the judge thinks (it never answers): the score stays.
        gyrus::test::SilentJudge hanging;
        panel.setExplainer(&hanging);
        box->score();
        QTRY_VERIFY(box->statusText().startsWith(QStringLiteral("Stage 2 of 2")));
        QVERIFY(hanging.asked > 0);
        box->cancel();
        QTRY_VERIFY(!box->isRunning());
        QVERIFY(box->statusText().contains(QStringLiteral("previous score is kept")));
        QCOMPARE(hub.annotation(7).detection, score);
        panel.setExplainer(&judge);

        // The score belongs to the label it scored.
        panel.labelEdit()->setText(QStringLiteral("jury"));
        QTest::keyClick(panel.labelEdit(), Qt::Key_S);
        QCOMPARE(hub.annotation(7).detection, score);
        QVERIFY2(box->resultText().startsWith(
                         QStringLiteral("Of the earlier label \"jury verdicts\". ")),
                 qPrintable(box->resultText()));
        hub.setAnnotation(
                7, gyrus::FeatureAnnotation{
                           QStringLiteral("jury verdicts"), QStringLiteral("my notes"),
                           QJsonObject{{QStringLiteral("label"), QStringLiteral("jury verdicts")}},
                           score});
        auto *reject = panel.findChild<QToolButton *>(QStringLiteral("inspector.rejectLabel"));
        QTest::mouseClick(reject, Qt::LeftButton);
        QVERIFY(hub.annotation(7).detection.isEmpty());
        QVERIFY(box->resultText().isEmpty());
    }

    // A reopened workspace selects its feature before its SAE is back: the label field opens
    // when the SAE arrives.
    void labelFieldOpensWhenTheSaeArrivesAfterTheSelection()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        hub.selectFeature(9, QStringLiteral("workspace"));
        QVERIFY(!panel.labelEdit()->isEnabled());  // no SAE: nothing to label yet
        loadSae(engine, m_sae, panel);
        QTRY_VERIFY(panel.labelEdit()->isEnabled());
    }

    void clampButtonAddsTheFeatureAtItsMaximum()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        showFeature(engine, hub, panel, 12);
        QVERIFY(panel.clampButton()->isEnabled());
        QTest::mouseClick(panel.clampButton(), Qt::LeftButton);
        const int at = hub.clampSet().indexOf(12);
        QVERIFY(at >= 0);
        const FeatureClamp clamp = hub.clampSet().clamps.at(at);
        QCOMPARE(clamp.mode, gyrus::ClampMode::Clamp);
        QCOMPARE(clamp.value, FakeEngineClient::fakeDetailsFor(12).maxActivation);
        QCOMPARE(panel.clampButton()->text(), QStringLiteral("Clamped ✓"));
    }

    void withoutScanOffersOneAndShowsItsProgress()
    {
        FakeEngineClient engine;
        engine.setScanSlices(40);
        engine.setSliceMs(5);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setDefaultCorpus(QStringLiteral("/corpora/heldout.txt"));
        hub.selectFeature(3);
        loadSae(engine, m_bareSae, panel);
        QCOMPARE(panel.view(), View::NoScan);
        // No saved scan: the engine is not even asked to load one.
        QVERIFY(!engine.log().join(QLatin1Char('\n')).contains(QStringLiteral("load-scan")));
        QVERIFY(panel.scanForm()->scanButton()->isEnabled());

        QSignalSpy progress(&engine, &gyrus::EngineClient::progress);
        QSignalSpy shown(&panel, &FeatureInspectorPanel::detailsShown);
        panel.scanForm()->scanButton()->click();
        QVERIFY(panel.scanForm()->isRunning());
        QVERIFY(!panel.scanForm()->scanButton()->isEnabled());
        QCOMPARE(engine.lastScanRequest().corpusPath, QStringLiteral("/corpora/heldout.txt"));
        // Saved in the user's scan folder under the SAE's fingerprint, not in the SAE directory.
        const QString savePath = engine.lastScanRequest().savePath;
        QCOMPARE(QFileInfo(savePath).absolutePath(), gyrus::defaultCorpusScanDirectory());
        QVERIFY2(savePath.endsWith(QStringLiteral(".gyrus-scan")), qPrintable(savePath));
        QTRY_VERIFY(panel.scanForm()->progressBar()->value() > 0);
        QVERIFY(panel.scanForm()->progressBar()->isVisibleTo(&panel));
        // When the scan ends the selected feature's details appear.
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
        QCOMPARE(panel.shownFeature(), 3);
        QVERIFY(!panel.scanForm()->isRunning());
    }

    void scanFolderIsTheUsersChoiceAndComesFirst()
    {
        QTemporaryDir scans;
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setScanDirectory(scans.path());
        // A scan in the chosen folder, named by the SAE's fingerprint, beats the shipped one.
        gyrus::SaeInfo sae;
        sae.path = m_sae.path();
        const QString own = gyrus::corpusScanPath(sae, scans.path());
        QVERIFY(own.startsWith(scans.path() + QLatin1Char('/')));
        QFile file(own);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        QVERIFY(engine.log().contains(QStringLiteral("load-scan ") + own));
        QVERIFY(!engine.log().contains(QStringLiteral("load-scan ") +
                                       m_sae.filePath(QStringLiteral("gyrus_scan.bin"))));

        // A new scan goes to the chosen folder too.
        panel.setDefaultCorpus(QStringLiteral("/corpora/heldout.txt"));
        engine.setSliceMs(1);
        loadSae(engine, m_bareSae, panel);
        QTRY_COMPARE(panel.view(), View::NoScan);
        panel.startScan(100);
        QCOMPARE(QFileInfo(engine.lastScanRequest().savePath).absolutePath(), scans.path());
    }

    void firstStartOpensTheScansDensestFeature()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setOpenFeatureWhenScanned(true);
        QSignalSpy opened(&panel, &FeatureInspectorPanel::featureOpenedFromScan);
        QSignalSpy shown(&panel, &FeatureInspectorPanel::detailsShown);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(opened.count(), 1);
        QTRY_VERIFY(!shown.isEmpty());
        QCOMPARE(hub.selectedFeature(), opened.at(0).at(0).toInt());
        QCOMPARE(panel.view(), View::Details);
    }

    void cancellingAScanSaysSo()
    {
        FakeEngineClient engine;
        engine.setScanSlices(100000);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setDefaultCorpus(QStringLiteral("/corpora/heldout.txt"));
        loadSae(engine, m_bareSae, panel);
        QTRY_COMPARE(panel.view(), View::NoScan);
        panel.startScan(1000);
        QCOMPARE(engine.lastScanRequest().tokenBudget, qint64(1000));
        QTRY_VERIFY(panel.scanForm()->progressBar()->value() > 0);
        panel.scanForm()->cancelButton()->click();
        QTRY_VERIFY(!panel.scanForm()->isRunning());
        QCOMPARE(panel.scanForm()->message(), QStringLiteral("Scan cancelled."));
        QCOMPARE(panel.view(), View::NoScan);
    }

    void aFailedScanNamesTheFile()
    {
        FakeEngineClient engine;
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setDefaultCorpus(QStringLiteral("/corpora/missing.txt"));
        loadSae(engine, m_bareSae, panel);
        QTRY_COMPARE(panel.view(), View::NoScan);
        panel.startScan();
        QTRY_VERIFY(!panel.scanForm()->isRunning());
        QVERIFY2(panel.scanForm()->message().contains(QStringLiteral("/corpora/missing.txt")),
                 qPrintable(panel.scanForm()->message()));
    }

    void autoScanStartsWhenThereIsNoSavedScan()
    {
        FakeEngineClient engine;
        engine.setScanSlices(100000);  // still running when we look
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setDefaultCorpus(QStringLiteral("/corpora/heldout.txt"));
        panel.setAutoScanTokens(500);
        loadSae(engine, m_bareSae, panel);
        QVERIFY(panel.scanForm()->isRunning());
        QCOMPARE(engine.lastScanRequest().tokenBudget, qint64(500));
        QCOMPARE(engine.lastScanRequest().corpusPath, QStringLiteral("/corpora/heldout.txt"));
        panel.scanForm()->cancelButton()->click();
        QTRY_VERIFY(!panel.scanForm()->isRunning());
    }

    void outOfRangeFeatureShowsTheEngineMessage()
    {
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        loadSae(engine, m_sae, panel);
        QTRY_COMPARE(panel.view(), View::NoSelection);
        hub.selectFeature(5000);
        QTRY_COMPARE(panel.view(), View::Error);
        QVERIFY2(panel.errorText().contains(QStringLiteral("out of range")),
                 qPrintable(panel.errorText()));
        QVERIFY(!panel.clampButton()->isEnabled());
    }
};

QTEST_MAIN(TestFeatureInspectorPanel)
#include "tst_feature_inspector_panel.moc"
