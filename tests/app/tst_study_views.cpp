// The views of this file's engine requests on the demo model and SAE with the real engine, each
// against the gyrus-cli command that calls the same function (in process):
// - the Attribution dock's Patching tab = `gyrus-cli patch` (map mean and interval, and a clicked
//   cell lists every pair reaching it with its own restored value), also with site "SAE
//   features" = `patch --features --sae`;
// - the Features dock's search box = `gyrus-cli search-features` (fires on a token; a concept
//   vector from the open prompt set = `--concept` with `gyrus-cli concept-vector`'s JSON; a
//   label from the hub's annotations), and a click on a hit selects it in the SelectionHub;
// - the Steering dock's concept-vs-features view = `gyrus-cli concept-sweep`;
// - the Attribution dock's settings (prompt, target, minus token, patching) survive a workspace
//   round trip.

#include "core/prompts/prompt_set_io.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/activation_patching_tab.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/concept_sweep_tab.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/feature_search_box.h"
#include "widgets/views/attribution_sae_list.h"
#include "widgets/views/patching_map_grid.h"

#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace gyrus;
using widgets::ActivationPatchingTab;
using widgets::ConceptSweepTab;
using widgets::FeatureSearchBox;

namespace {

const QString kPrompt = QStringLiteral("The children were happy");

QString demoSet(const QString &name)
{
    return test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/%1.json").arg(name));
}

PromptSet loadSet(const QString &path)
{
    auto loaded = loadPromptSet(path);
    return loaded ? loaded->set : PromptSet();
}

}  // namespace

class TestStudyViews : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::TorchEngineClient> m_engine;
    SelectionHub m_hub;

    /// The hits of `box` (feature, score) after a search.
    static QList<std::pair<int, double>> hits(const FeatureSearchBox &box)
    {
        QList<std::pair<int, double>> out;
        for (const FeatureSearchHit &hit : box.result().hits) {
            out.append({hit.feature, hit.score});
        }
        return out;
    }

    static QList<std::pair<int, double>> hits(const QJsonObject &json)
    {
        QList<std::pair<int, double>> out;
        for (const QJsonValue &hit : json[QStringLiteral("hits")].toArray()) {
            out.append({hit.toObject()[QStringLiteral("feature")].toInt(),
                        hit.toObject()[QStringLiteral("score")].toDouble()});
        }
        return out;
    }

    static bool sameHits(const QList<std::pair<int, double>> &a,
                         const QList<std::pair<int, double>> &b)
    {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); ++i) {
            if (a[i].first != b[i].first || std::abs(a[i].second - b[i].second) > 1e-5) {
                return false;
            }
        }
        return true;
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
        // The search box's example criteria read the inspector's scan.
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        const RequestId scan =
                m_engine->loadCorpusScan(test::demoSaePath() + QStringLiteral("/gyrus_scan.bin"));
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, scan), 60000);
        QVERIFY2(test::statusOf(finished, scan).isOk(),
                 qPrintable(test::statusOf(finished, scan).message()));
    }

    void patchingViewEqualsTheCli()
    {
        SessionState session;  // the tab patches the session's open set
        session.setPromptSet(loadSet(demoSet(QStringLiteral("demo-agreement"))));
        ActivationPatchingTab tab(m_engine.get(), &session);
        tab.siteBox()->setCurrentIndex(tab.siteBox()->findData(QStringLiteral("resid_post")));
        QSignalSpy shown(&tab, &ActivationPatchingTab::patchingShown);
        tab.run();
        QVERIFY(shown.wait(120000));
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("patch"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), demoSet(QStringLiteral("demo-agreement")),
                 QStringLiteral("--site"), QStringLiteral("resid_post")});
        QVERIFY(!json.isEmpty());
        const PatchingOutcomePtr outcome = tab.outcome();
        QVERIFY(outcome);
        const PatchingMap &map = outcome->result.map;
        QCOMPARE(map.positions, json[QStringLiteral("positions")].toInt());
        const QJsonArray mean = json[QStringLiteral("mean")].toArray();
        QCOMPARE(int(map.mean.size()), mean.size());
        for (int r = 0; r < mean.size(); ++r) {
            for (int c = 0; c < map.positions; ++c) {
                const QJsonValue cell = mean[r].toArray()[c];
                if (cell.isNull()) {
                    QCOMPARE(map.count[size_t(r)][size_t(c)], 0);
                    continue;
                }
                QVERIFY(std::abs(map.mean[size_t(r)][size_t(c)] - cell.toDouble()) < 1e-9);
                const double shownMean =
                        tab.mapGrid()->gridModel()->item(r, c)->data(Qt::UserRole).toDouble();
                QCOMPARE(shownMean, map.mean[size_t(r)][size_t(c)]);
            }
        }
        // A click on the last layer's last column lists every pair with its own value there.
        const int layer = int(map.mean.size()) - 1;
        const int column = map.positions - 1;
        tab.mapGrid()->cellPicked(layer, column);
        const QJsonArray pairs = json[QStringLiteral("pairs")].toArray();
        QCOMPARE(tab.pairModel()->rowCount(), pairs.size());
        for (int row = 0; row < pairs.size(); ++row) {
            const QString source = tab.pairModel()->item(row, 0)->text();
            const QString partner = tab.pairModel()->item(row, 1)->text();
            bool found = false;
            for (const QJsonValue &value : pairs) {
                const QJsonObject pair = value.toObject();
                if (pair[QStringLiteral("source")].toString() != source ||
                    pair[QStringLiteral("partner")].toString() != partner) {
                    continue;
                }
                const QJsonArray restored =
                        pair[QStringLiteral("restored")].toArray()[layer].toArray();
                const double expected = restored.last().toDouble();  // its last token
                QVERIFY(std::abs(tab.pairModel()->item(row, 3)->data(Qt::UserRole).toDouble() -
                                 expected) < 1e-9);
                found = true;
            }
            QVERIFY2(found, qPrintable(source + QStringLiteral(" → ") + partner));
        }
        // The whole last-layer residual at the last token makes the partner the source.
        QVERIFY(std::abs(map.mean[size_t(layer)][size_t(column)] - 1.0) < 1e-5);

        // The selected cell keeps its colour (an outline marks it, not the selection fill).
        tab.resize(900, 700);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        widgets::PatchingMapGrid *grid = tab.mapGrid();
        const QModelIndex cell = grid->gridModel()->index(layer, column);
        grid->setFocus();
        grid->setCurrentIndex(cell);
        QVERIFY(grid->selectionModel()->isSelected(cell));
        const QRect rect = grid->visualRect(cell);
        const QImage picture = grid->viewport()->grab().toImage();
        const QColor fill = grid->gridModel()->item(layer, column)->background().color();
        const QColor inside = picture.pixelColor(rect.left() + 6, rect.top() + rect.height() / 2);
        QCOMPARE(inside.rgb(), fill.rgb());
        const QColor edge = picture.pixelColor(rect.left() + 1, rect.top() + rect.height() / 2);
        QVERIFY2(edge.rgb() != fill.rgb(),
                 qPrintable(edge.name() + QStringLiteral(" on ") + fill.name()));
    }

    void patchingSaeFeaturesEqualTheCli()
    {
        SessionState session;
        session.setPromptSet(loadSet(demoSet(QStringLiteral("demo-agreement"))));
        ActivationPatchingTab tab(m_engine.get(), &session);
        tab.siteBox()->setCurrentIndex(tab.siteBox()->findData(QStringLiteral("sae_features")));
        QVERIFY(!tab.featuresEdit()->isHidden());
        tab.featuresEdit()->setText(QStringLiteral("3, 7 12"));
        QSignalSpy shown(&tab, &ActivationPatchingTab::patchingShown);
        tab.run();
        QVERIFY2(shown.wait(120000), qPrintable(tab.statusText()));
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("patch"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), demoSet(QStringLiteral("demo-agreement")),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--features"),
                 QStringLiteral("3,7,12")});
        QVERIFY(!json.isEmpty());
        const PatchingMap &map = tab.outcome()->result.map;
        QCOMPARE(map.features, (std::vector<int>{3, 7, 12}));
        QCOMPARE(map.hooks.last(), QStringLiteral("features 3+7+12"));
        const QJsonArray mean = json[QStringLiteral("mean")].toArray();
        QCOMPARE(int(map.mean.size()), mean.size());
        QCOMPARE(mean.size(), 4);
        for (int r = 0; r < mean.size(); ++r) {
            for (int c = 0; c < map.positions; ++c) {
                const QJsonValue cell = mean[r].toArray()[c];
                QVERIFY(cell.isNull() ||
                        std::abs(map.mean[size_t(r)][size_t(c)] - cell.toDouble()) < 1e-9);
            }
        }
        QVERIFY(tab.statusText().contains(json[QStringLiteral("sae_hook")].toString()));
        // Not a feature list: one clear line, nothing sent.
        QTRY_VERIFY(!tab.isRunning());
        tab.featuresEdit()->setText(QStringLiteral("3, x"));
        tab.run();
        QVERIFY(!tab.isRunning());
        QVERIFY(tab.statusText().contains(QStringLiteral("feature numbers")));
    }

    void searchBoxEqualsTheCli()
    {
        SessionState session;  // the concept vector is of the session's open set
        FeatureSearchBox box(m_engine.get(), &m_hub, &session);
        QSignalSpy shown(&box, &FeatureSearchBox::resultsShown);

        box.setCriterion(FeatureSearchBox::Criterion::FiresOn);
        box.textEdit()->setText(kPrompt);
        box.positionBox()->setValue(2);
        box.search();
        QVERIFY(shown.wait(60000));
        const QJsonObject firing = test::runCliJson(
                {QStringLiteral("search-features"), QStringLiteral("--model"),
                 test::demoModelPath(), QStringLiteral("--sae"), test::demoSaePath(),
                 QStringLiteral("--fires-on"), kPrompt, QStringLiteral("--at"), QStringLiteral("2"),
                 QStringLiteral("--limit"), QStringLiteral("50")});
        QVERIFY(!hits(box).isEmpty());
        QVERIFY(sameHits(hits(box), hits(firing)));
        QCOMPARE(box.resultModel()->rowCount(), int(hits(box).size()));
        // Listed best first, as ranked (not by a column's order).
        for (int row = 0; row < box.resultModel()->rowCount(); ++row) {
            QCOMPARE(box.resultModel()->item(row, 0)->data(Qt::UserRole).toInt(),
                     hits(box)[row].first);
        }
        // Density comes from the scan.
        QVERIFY(box.result().hits.front().density >= 0.0);

        // A click selects the hit everywhere.
        const int second = box.resultModel()->item(1, 0)->data(Qt::UserRole).toInt();
        box.resultView()->clicked(box.resultModel()->index(1, 0));
        QCOMPARE(m_hub.selectedFeature(), second);

        // Concept vector of the open set's tense contrast at the SAE's hook (last-token pooling).
        session.setPromptSet(loadSet(demoSet(QStringLiteral("demo-tense-number"))));
        box.setCriterion(FeatureSearchBox::Criterion::Concept);
        box.sideA()->setCurrentText(QStringLiteral("tense=present"));
        box.sideB()->setCurrentText(QStringLiteral("tense=past"));
        box.search();
        QVERIFY(shown.wait(60000));
        QCOMPARE(box.result().conceptLabel, QStringLiteral("tense=present − tense=past"));
        const test::ProcessRun concept = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), demoSet(QStringLiteral("demo-tense-number")),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--pooling"),
                 QStringLiteral("last"), QStringLiteral("--a"), QStringLiteral("tense=present"),
                 QStringLiteral("--b"), QStringLiteral("tense=past")});
        QVERIFY2(concept.exitCode == 0, qPrintable(concept.err));
        QTemporaryDir dir;
        const QString vectorFile = dir.filePath(QStringLiteral("v.json"));
        QFile file(vectorFile);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(concept.out);
        file.close();
        const QJsonObject similar =
                test::runCliJson({QStringLiteral("search-features"), QStringLiteral("--model"),
                                  test::demoModelPath(), QStringLiteral("--sae"),
                                  test::demoSaePath(), QStringLiteral("--concept"), vectorFile,
                                  QStringLiteral("--limit"), QStringLiteral("50")});
        QVERIFY(sameHits(hits(box), hits(similar)));
        // The concept-vector command lists the same best feature by |cosine| when it is positive.
        const QJsonObject best = concept.out.isEmpty()
                                         ? QJsonObject()
                                         : QJsonDocument::fromJson(concept.out)
                                                   .object()[QStringLiteral("features")]
                                                   .toArray()
                                                   .first()
                                                   .toObject();
        if (best[QStringLiteral("cosine")].toDouble() > 0) {
            QCOMPARE(box.result().hits.front().feature, best[QStringLiteral("feature")].toInt());
        }

        // A label written in the hub is found, with its label shown.
        m_hub.setAnnotation(7, FeatureAnnotation(QStringLiteral("plural nouns"), QString()));
        m_hub.setAnnotation(9, FeatureAnnotation(QStringLiteral("past"),
                                                 QStringLiteral("fires on plural verbs")));
        box.setCriterion(FeatureSearchBox::Criterion::Label);
        box.textEdit()->setText(QStringLiteral("PLURAL"));
        box.search();
        QVERIFY(shown.wait(60000));
        QCOMPARE(box.resultModel()->rowCount(), 2);
        QList<int> found;
        for (const FeatureSearchHit &hit : box.result().hits) {
            found << hit.feature;
        }
        std::sort(found.begin(), found.end());
        QCOMPARE(found, (QList<int>{7, 9}));

        // An empty query is refused before it reaches the engine.
        box.textEdit()->clear();
        QVERIFY(!box.request());
    }

    void conceptSweepViewEqualsTheCli()
    {
        SessionState session;
        session.setPromptSet(loadSet(demoSet(QStringLiteral("demo-tense-number"))));
        ConceptSweepTab view(m_engine.get(), &session);
        view.setPromptSource([] { return kPrompt; });
        view.sideA()->setCurrentText(QStringLiteral("tense=present"));
        view.sideB()->setCurrentText(QStringLiteral("tense=past"));
        view.featureCount()->setValue(3);
        view.setGrid(0.0, 4.0, 3);
        QSignalSpy shown(&view, &ConceptSweepTab::sweepShown);
        view.run();
        QVERIFY(shown.wait(120000));
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("concept-sweep"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--prompts"),
                 demoSet(QStringLiteral("demo-tense-number")), QStringLiteral("--a"),
                 QStringLiteral("tense=present"), QStringLiteral("--b"),
                 QStringLiteral("tense=past"), QStringLiteral("--prompt"), kPrompt,
                 QStringLiteral("--alphas"), QStringLiteral("0,2,4"), QStringLiteral("--top"),
                 QStringLiteral("3")});
        QVERIFY(!json.isEmpty());
        const ConceptSweepResult &result = view.result();
        QCOMPARE(result.targetId, json[QStringLiteral("target_id")].toInt());
        const QJsonArray points = json[QStringLiteral("points")].toArray();
        QCOMPARE(result.points.size(), points.size());
        for (int i = 0; i < points.size(); ++i) {
            const QJsonObject point = points[i].toObject();
            QCOMPARE(result.points[i].alpha, point[QStringLiteral("alpha")].toDouble());
            QVERIFY(std::abs(result.points[i].conceptLogProbability -
                             point[QStringLiteral("concept_log_probability")].toDouble()) < 1e-6);
            QVERIFY(std::abs(result.points[i].featuresLogProbability -
                             point[QStringLiteral("features_log_probability")].toDouble()) < 1e-6);
        }
        QVERIFY(view.summaryText().contains(QStringLiteral("cosine")));
    }

    // The Features dock's search intents (what --study-view search uses): the box opened on a
    // criterion and a text, its hits by row as listed, and a hit opened as a click opens it.
    void featuresDockSearchesThroughItsIntents()
    {
        widgets::FeatureInspectorPanel panel(m_engine.get(), &m_hub);
        QSignalSpy shown(&panel, &widgets::FeatureInspectorPanel::searchResultsShown);
        panel.search(FeatureSearchBox::Criterion::FiresOn, kPrompt);
        QVERIFY(shown.wait(60000));
        const auto *box = panel.findChild<FeatureSearchBox *>();
        QVERIFY(box);
        QVERIFY(!box->isHidden());
        QCOMPARE(box->criterion(), FeatureSearchBox::Criterion::FiresOn);
        QCOMPARE(box->textEdit()->text(), kPrompt);
        const QList<FeatureSearchHit> &listed = box->result().hits;
        QVERIFY(listed.size() >= 2);
        for (int row = 0; row < int(listed.size()); ++row) {
            QCOMPARE(panel.searchHit(row), listed[row].feature);
        }
        QCOMPARE(panel.searchHit(int(listed.size())), -1);
        QSignalSpy selected(&m_hub, &SelectionHub::featureSelected);
        panel.openSearchHit(1);
        QCOMPARE(m_hub.selectedFeature(), listed[1].feature);
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.last().at(1).toString(), QStringLiteral("search"));
    }

    void attributionSettingsRoundTrip()
    {
        widgets::AttributionPanel panel(m_engine.get(), &m_hub);
        QSignalSpy changed(&panel, &widgets::AttributionPanel::stateChanged);
        panel.promptEdit()->setPlainText(QStringLiteral("The capital of France is"));
        panel.targetEdit()->setText(QStringLiteral(" Paris"));
        panel.versusEdit()->setText(QStringLiteral(" London"));
        panel.positionBox()->setValue(3);
        panel.patchingView()->siteBox()->setCurrentIndex(
                panel.patchingView()->siteBox()->findData(QStringLiteral("mlp_out")));
        panel.patchingView()->targetEdit()->setText(QStringLiteral(" was"));
        panel.patchingView()->featuresEdit()->setText(QStringLiteral("3, 7"));
        panel.extraSaeList()->setPaths(
                {QStringLiteral("/data/sae-layer0"), QStringLiteral("/data/sae-layer1")});
        QVERIFY(changed.count() >= 7);
        const QJsonObject state = panel.workspaceState();

        widgets::AttributionPanel restored(m_engine.get(), &m_hub);
        QVERIFY(restored.restoreWorkspaceState(state).isOk());
        QCOMPARE(restored.workspaceState(), state);
        QCOMPARE(restored.versusEdit()->text(), QStringLiteral(" London"));
        QCOMPARE(restored.extraSaeList()->paths(),
                 (QStringList{QStringLiteral("/data/sae-layer0"),
                              QStringLiteral("/data/sae-layer1")}));
        QCOMPARE(restored.patchingView()->siteBox()->currentData().toString(),
                 QStringLiteral("mlp_out"));
        restored.resetState();
        QVERIFY(restored.promptEdit()->toPlainText().isEmpty());
        QCOMPARE(restored.positionBox()->value(), -1);

        // The intents the start-up options use fill the same fields.
        restored.setPrompt(QStringLiteral("The capital of France is"));
        restored.setExtraSaes({QStringLiteral("/data/sae-layer0")});
        QCOMPARE(restored.promptEdit()->toPlainText(), QStringLiteral("The capital of France is"));
        QCOMPARE(restored.extraSaeList()->paths(), QStringList{QStringLiteral("/data/sae-layer0")});
    }
};

QTEST_MAIN(TestStudyViews)
#include "tst_study_views.moc"
