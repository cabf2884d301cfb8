// The Contrasts dock with FakeEngineClient: the form's request, sorting, selection both ways,
// the 2 × 2 effect selector, the RSA map and the method comparison's run and cancel.

#include "core/contrasts/feature_stats_model.h"
#include "core/contrasts/method_comparison_model.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/llm/method_judging.h"
#include "core/prompts/prompt_set_io.h"
#include "core/rsa/rank_tests.h"
#include "core/session/selection_hub.h"
#include "tests/llm/scripted_judge.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"
#include "widgets/common/export_button.h"
#include "widgets/panels/batch_explain_dialog.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/contrast_tab.h"
#include "widgets/panels/feature_rsa_tab.h"
#include "widgets/panels/judged_methods_tab.h"
#include "widgets/panels/method_comparison_tab.h"
#include "widgets/panels/replication_report_bar.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/feature_scatter_plot.h"
#include "widgets/views/feature_table_view.h"

#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <cmath>

using gyrus::test::FakeEngineClient;
using namespace gyrus::widgets;

namespace {

gyrus::PromptSet demoSet(const char *name)
{
    const QString path = gyrus::test::sourcePath(
            QStringLiteral("datasets/prompt-sets/demo/%1.json").arg(QString::fromLatin1(name)));
    auto loaded = gyrus::loadPromptSet(path);
    if (!loaded) {
        qFatal("%s", qPrintable(loaded.status().message()));
    }
    return loaded->set;
}

// The fake's t for feature j of effect e (fake_engine_client_contrast.cpp).
double fakeT(int j, int effect)
{
    return 3.0 * 2.0 * std::sin(0.37 * j + 1.3 * effect);
}

double tOfFeature(const FeatureTableView *table, int feature)
{
    const gyrus::FeatureStatsModel *model = table->statsModel();
    const int tColumn = 4;  // feature, label, mean A, mean B, t, ...
    return model->index(model->rowOfFeature(feature), tColumn)
            .data(gyrus::FeatureStatsModel::SortRole)
            .toDouble();
}

// A panel on a (fake) model and SAE, shown at a fixed size.
struct Fixture
{
    FakeEngineClient engine;
    gyrus::SelectionHub hub;
    ContrastPanel panel{&engine, &hub};

    explicit Fixture(const char *set = "demo-valence")
    {
        engine.loadModel(
                {QStringLiteral("/models/demo"), QStringLiteral("cpu"), gyrus::Dtype::Float32});
        engine.loadSae({QStringLiteral("/saes/demo"), QStringLiteral("cpu")});
        panel.setPromptSet(demoSet(set));
        panel.resize(1000, 800);
    }

    bool ready() const
    {
        return !engine.currentSae().path.isEmpty() && !engine.currentModel().name.isEmpty();
    }
};

}  // namespace

class TestContrastPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void formProducesTheRequest()
    {
        Fixture f("demo-tense-number");
        QTRY_VERIFY(f.ready());
        ContrastSettingsForm *form = f.panel.form();
        // The defaults follow the study: A is the set's first level, B its second, and with an
        // SAE loaded the form reads its features at its hook.
        QCOMPARE(form->source().factor, QStringLiteral("tense"));
        QCOMPARE(form->source().levelA, QStringLiteral("present"));
        QCOMPARE(form->source().levelB, QStringLiteral("past"));
        QCOMPARE(form->source().saeFeatures, true);
        QCOMPARE(form->source().hookName, f.engine.currentSae().hookName);
        QCOMPARE(form->findChild<QComboBox *>(QStringLiteral("contrast.hook"))->currentText(),
                 f.engine.currentSae().hookName);
        form->setSaeFeatures(false);
        QVERIFY(form->setFactor(QStringLiteral("number")));
        QVERIFY(form->setLevels(QStringLiteral("singular"), QStringLiteral("plural")));
        QVERIFY(form->setHook(QStringLiteral("blocks.1.hook_resid_post")));
        QVERIFY(form->setPooling(gyrus::Pooling::TargetWindow));
        form->findChild<QSpinBox *>(QStringLiteral("contrast.window"))->setValue(2);
        f.panel.contrastView()->runButton()->click();
        QTRY_COMPARE(f.engine.log().count(QStringLiteral("contrast number")), 1);
        gyrus::ContrastSource s = f.engine.lastContrastSource();
        QCOMPARE(s.promptSet.items.size(), 64);
        QCOMPARE(s.levelA, QStringLiteral("singular"));
        QCOMPARE(s.levelB, QStringLiteral("plural"));
        QCOMPARE(s.hookName, QStringLiteral("blocks.1.hook_resid_post"));
        QCOMPARE(s.saeFeatures, false);
        QCOMPARE(s.pooling, gyrus::Pooling::TargetWindow);
        QCOMPARE(s.window, 2);
        QCOMPARE(s.factorial, false);

        // SAE features are read at the SAE's hook, whatever the hook box said.
        form->setSaeFeatures(true);
        form->setFactorial(true);
        QTRY_VERIFY(f.panel.contrastView()->runButton()->isEnabled());
        f.panel.contrastView()->runButton()->click();
        QTRY_COMPARE(f.engine.log().count(QStringLiteral("contrast number")), 2);
        s = f.engine.lastContrastSource();
        QCOMPARE(s.saeFeatures, true);
        QCOMPARE(s.hookName, QStringLiteral("blocks.2.hook_resid_post"));
        QCOMPARE(s.factorial, true);
    }

    // The intents the start-up options use: a request given to the panel is what its tabs run,
    // the tab in front is the one run() runs, and topFeature() is that tab's first row.
    void requestShowTabAndRunThroughTheIntents()
    {
        Fixture f("demo-tense-number");
        QTRY_VERIFY(f.ready());
        QSignalSpy changed(&f.panel, &ContrastPanel::requestChanged);
        gyrus::ContrastSource request;  // no prompt set: the panel keeps the open one
        request.factor = QStringLiteral("number");
        request.levelA = QStringLiteral("plural");
        request.levelB = QStringLiteral("singular");
        request.hookName = QStringLiteral("blocks.1.hook_resid_post");
        request.saeFeatures = false;
        request.pooling = gyrus::Pooling::TargetWindow;
        request.window = 3;
        f.panel.setRequest(request);
        QVERIFY(!changed.isEmpty());
        QVERIFY2(f.panel.problem().isEmpty(), qPrintable(f.panel.problem()));
        f.panel.showTab(ContrastPanel::Tab::Contrast);
        QCOMPARE(f.panel.currentTab(), ContrastPanel::Tab::Contrast);
        QCOMPARE(f.panel.tabs()->currentWidget(), f.panel.contrastView());
        QCOMPARE(f.panel.topFeature(), -1);  // nothing computed yet
        QSignalSpy shown(&f.panel, &ContrastPanel::resultShown);
        f.panel.run();
        QTRY_COMPARE(f.engine.log().count(QStringLiteral("contrast number")), 1);
        gyrus::ContrastSource sent = f.engine.lastContrastSource();
        QCOMPARE(sent.promptSet.items.size(), 64);
        QCOMPARE(sent.factor, QStringLiteral("number"));
        QCOMPARE(sent.levelA, QStringLiteral("plural"));
        QCOMPARE(sent.levelB, QStringLiteral("singular"));
        QCOMPARE(sent.hookName, QStringLiteral("blocks.1.hook_resid_post"));
        QCOMPARE(sent.saeFeatures, false);
        QCOMPARE(sent.pooling, gyrus::Pooling::TargetWindow);
        QCOMPARE(sent.window, 3);
        QCOMPARE(sent.factorial, false);
        QTRY_VERIFY(!shown.isEmpty());
        QVERIFY(f.panel.contrastView()->result());
        QVERIFY(f.panel.topFeature() >= 0);
        QCOMPARE(f.panel.topFeature(), f.panel.contrastView()->table()->featureAtRow(0));

        // SAE features at the SAE's hook, as the 2 × 2 effects of the set's design.
        request = f.panel.request();
        request.saeFeatures = true;
        request.factorial = true;
        f.panel.setRequest(request);
        QCOMPARE(f.panel.request().hookName, f.engine.currentSae().hookName);
        f.panel.run();
        QTRY_COMPARE(f.engine.log().count(QStringLiteral("contrast number")), 2);
        sent = f.engine.lastContrastSource();
        QCOMPARE(sent.saeFeatures, true);
        QCOMPARE(sent.factorial, true);
        QCOMPARE(sent.hookName, f.engine.currentSae().hookName);
        QTRY_COMPARE(f.panel.contrastView()->effectCount(), 3);

        // Another tab in front is the one that runs, and the one topFeature() reads.
        f.panel.showTab(ContrastPanel::Tab::RsaMap);
        QCOMPARE(f.panel.tabs()->currentWidget(), f.panel.rsaView());
        f.panel.run();
        QTRY_VERIFY(f.panel.rsaView()->map());
        QCOMPARE(f.panel.topFeature(), f.panel.rsaView()->table()->featureAtRow(0));
        QVERIFY(f.panel.topFeature() >= 0);
        f.panel.showTab(ContrastPanel::Tab::Methods);
        QCOMPARE(f.panel.topFeature(), -1);

        // A request that cannot run says why.
        gyrus::test::FakeEngineClient engine;
        ContrastPanel empty(&engine, &f.hub);
        QVERIFY(empty.problem().contains(QStringLiteral("prompt set")));
    }

    // The form stays in step with the study: a new SAE brings its hook and features, a new
    // prompt set its own level order, no SAE means raw activations.
    void defaultsFollowTheSaeAndThePromptSet()
    {
        Fixture f("demo-tense-number");
        QTRY_VERIFY(f.ready());
        ContrastSettingsForm *form = f.panel.form();
        gyrus::SaeInfo other = f.engine.currentSae();
        other.path = QStringLiteral("/saes/layer-1");
        other.hookName = QStringLiteral("blocks.1.hook_resid_post");
        form->setSae(other);
        QCOMPARE(form->source().saeFeatures, true);
        QCOMPARE(form->source().hookName, other.hookName);
        form->setHookNames(f.engine.currentModel().hookNames);  // a model reload
        QCOMPARE(form->findChild<QComboBox *>(QStringLiteral("contrast.hook"))->currentText(),
                 other.hookName);
        f.panel.setPromptSet(demoSet("demo-valence"));
        QCOMPARE(form->source().levelA, demoSet("demo-valence").factors.value(0).levels.value(0));
        QCOMPARE(form->source().levelB, demoSet("demo-valence").factors.value(0).levels.value(1));
        form->setSae(gyrus::SaeInfo());
        QCOMPARE(form->source().saeFeatures, false);
        QVERIFY(form->problem().isEmpty());
    }

    void missingSettingsAreExplainedNotSent()
    {
        FakeEngineClient engine;
        gyrus::SelectionHub hub;
        ContrastPanel panel(&engine, &hub);
        panel.contrastView()->runButton()->click();
        QVERIFY2(panel.contrastView()->statusText().contains(QStringLiteral("prompt set")),
                 qPrintable(panel.contrastView()->statusText()));
        QVERIFY(engine.log().isEmpty());
    }

    void tableSortsAndVolcanoShowsTheFeatures()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        ContrastTab *view = f.panel.contrastView();
        view->run();
        QTRY_VERIFY(view->result());
        FeatureTableView *table = view->table();
        QCOMPARE(table->model()->rowCount(), 64);
        // Default order: q ascending (most significant first).
        const gyrus::ContrastResult &s = view->result()->effects[0].stats;
        QCOMPARE(s.q[size_t(table->featureAtRow(0))], *std::min_element(s.q.begin(), s.q.end()));
        table->sortByColumn(4, Qt::DescendingOrder);  // t
        QCOMPARE(tOfFeature(table, table->featureAtRow(0)),
                 *std::max_element(s.t.begin(), s.t.end()));
        table->sortByColumn(4, Qt::AscendingOrder);
        QCOMPARE(tOfFeature(table, table->featureAtRow(0)),
                 *std::min_element(s.t.begin(), s.t.end()));
        for (int row = 1; row < 64; ++row) {
            QVERIFY(tOfFeature(table, table->featureAtRow(row - 1)) <=
                    tOfFeature(table, table->featureAtRow(row)));
        }
        QCOMPARE(view->volcano()->pointCount(), 64);
        QVERIFY(view->statusText().contains(QStringLiteral("A = positive, B = negative")));
    }

    // A new table opens on its top hits (q ascending, ties in q by p), not scrolled to the
    // feature selected before, which stays selected; it exports as CSV and HDF5.
    void tableOpensOnItsTopHitsAndExports()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        ContrastTab *view = f.panel.contrastView();
        QVERIFY(!view->exportButton()->isEnabled());
        view->run();
        QTRY_VERIFY(view->result());
        FeatureTableView *table = view->table();
        const int last = table->featureAtRow(table->model()->rowCount() - 1);
        f.hub.selectFeature(last, QStringLiteral("heatmap"));
        view->run();
        QTRY_VERIFY(view->result() && view->runButton()->isEnabled());
        QTRY_COMPARE(table->verticalScrollBar()->value(), 0);
        QCOMPARE(table->selectionModel()->selectedRows().value(0).data(
                         gyrus::FeatureStatsModel::FeatureRole),
                 QVariant(last));
        const gyrus::ContrastResult &s = view->result()->effects[0].stats;
        for (int row = 1; row < table->model()->rowCount(); ++row) {
            const auto a = size_t(table->featureAtRow(row - 1));
            const auto b = size_t(table->featureAtRow(row));
            if (std::isfinite(s.q[a]) && std::isfinite(s.q[b])) {
                QVERIFY(s.q[a] < s.q[b] || (s.q[a] == s.q[b] && s.p[a] <= s.p[b]));
            }
        }

        QVERIFY(view->exportButton()->isEnabled());
        QCOMPARE(view->exportButton()->menu()->actions().size(), 2 + 1 + 3);  // and a separator
        QTemporaryDir dir;
        const QList<gyrus::widgets::ExportChoice> choices = gyrus::widgets::tableExportChoices(
                table->statsModel(), gyrus::FeatureStatsModel::ValueRole, QStringLiteral("Table"));
        const QString h5 = dir.filePath(QStringLiteral("contrast.h5"));
        QVERIFY(choices[1].write(h5).isOk());
        auto reader = gyrus::Hdf5Reader::open(h5);
        QVERIFY(reader.isOk());
        const std::vector<double> q = reader.value()->readDoubles(QStringLiteral("q")).value();
        const std::vector<double> features =
                reader.value()->readDoubles(QStringLiteral("feature")).value();
        QCOMPARE(q.size(), size_t(64));
        for (size_t k = 0; k < q.size(); ++k) {
            const double expected = s.q[size_t(features[k])];
            QVERIFY(q[k] == expected || (std::isnan(q[k]) && std::isnan(expected)));  // exact
        }
    }

    void clickingARowOrPointSelectsInTheHub()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        ContrastTab *view = f.panel.contrastView();
        view->run();
        QTRY_VERIFY(view->result());
        QSignalSpy selected(&f.hub, &gyrus::SelectionHub::featureSelected);

        FeatureTableView *table = view->table();
        const int feature = table->featureAtRow(3);
        const QRect cell = table->visualRect(table->model()->index(3, 2));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(f.hub.selectedFeature(), feature);
        QCOMPARE(selected.last().at(1).toString(), QStringLiteral("contrast"));

        // A point of the volcano plot (one far from the others: the most significant).
        FeatureScatterPlot *volcano = view->volcano();
        volcano->replot();
        const int point =
                table->featureAtRow(0) == feature ? table->featureAtRow(1) : table->featureAtRow(0);
        const QPoint pixel = volcano->pixelOfFeature(point);
        QVERIFY(!pixel.isNull());
        const int hit = volcano->featureAt(pixel);
        QTest::mouseClick(volcano, Qt::LeftButton, {}, pixel);
        QCOMPARE(f.hub.selectedFeature(), hit);
        QVERIFY(hit >= 0);
        QCOMPARE(volcano->highlightedFeature(), hit);
    }

    void hubSelectionHighlightsTheRow()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        ContrastTab *view = f.panel.contrastView();
        view->run();
        QTRY_VERIFY(view->result());
        f.hub.selectFeature(17, QStringLiteral("heatmap"));
        FeatureTableView *table = view->table();
        const QModelIndexList rows = table->selectionModel()->selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().data(gyrus::FeatureStatsModel::FeatureRole).toInt(), 17);
        QCOMPARE(view->volcano()->highlightedFeature(), 17);
        // The RSA map tab follows too once it has data.
        f.panel.rsaView()->run();
        QTRY_VERIFY(f.panel.rsaView()->map());
        QCOMPARE(f.panel.rsaView()->table()->selectionModel()->selectedRows().first().data(
                         gyrus::FeatureStatsModel::FeatureRole),
                 QVariant(17));
        QCOMPARE(f.panel.rsaView()->scatter()->highlightedFeature(), 17);
    }

    void factorialEffectSelectorSwitchesTheData()
    {
        Fixture f("demo-tense-number");
        QTRY_VERIFY(f.ready());
        f.panel.form()->setFactorial(true);
        ContrastTab *view = f.panel.contrastView();
        view->run();
        QTRY_VERIFY(view->result());
        QCOMPARE(view->effectCount(), 3);
        QVERIFY(!view->effectSelector()->isHidden());
        QCOMPARE(view->effectSelector()->count(), 3);
        QCOMPARE(tOfFeature(view->table(), 5), fakeT(5, 0));
        view->effectSelector()->setCurrentIndex(2);  // the interaction
        QCOMPARE(view->currentEffect(), 2);
        QCOMPARE(tOfFeature(view->table(), 5), fakeT(5, 2));
        QVERIFY(std::abs(fakeT(5, 2) - fakeT(5, 0)) > 0.1);

        // A two-level contrast has no selector.
        f.panel.form()->setFactorial(false);
        QTRY_VERIFY(view->runButton()->isEnabled());
        view->run();
        QTRY_COMPARE(view->effectCount(), 1);
        QVERIFY(view->effectSelector()->isHidden());
    }

    void rsaMapTableAndScatterSelect()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.tabs()->setCurrentWidget(f.panel.rsaView());
        FeatureRsaTab *view = f.panel.rsaView();
        view->run();
        QTRY_VERIFY(view->map());
        QCOMPARE(view->table()->model()->rowCount(), 64);
        // Sorted by pooled separation r, best first.
        const auto &scores = view->map()->pooledSeparationR;
        QCOMPARE(scores[size_t(view->table()->featureAtRow(0))],
                 *std::max_element(scores.begin(), scores.end()));
        view->scatter()->replot();
        const int feature = view->table()->featureAtRow(0);
        const QPoint pixel = view->scatter()->pixelOfFeature(feature);
        const int hit = view->scatter()->featureAt(pixel);
        QTest::mouseClick(view->scatter(), Qt::LeftButton, {}, pixel);
        QCOMPARE(f.hub.selectedFeature(), hit);
        QVERIFY(hit >= 0);
        // The categorical score on the y axis.
        view->setScatterScore(1);
        QCOMPARE(view->scatter()->yAxis->label(), QStringLiteral("pooled separation d"));
        QCOMPARE(view->table()->model()->columnCount(), 5);  // feature, label, r, d, |A − B|

        // Aligned windows add the temporal scores, as columns and on the y axis.
        QVERIFY(f.panel.form()->setPooling(gyrus::Pooling::Window));
        view->run();
        QTRY_VERIFY(!view->map()->temporalDiscriminativeRsa.empty());
        QCOMPARE(view->table()->model()->columnCount(), 7);
        view->setScatterScore(3);
        QCOMPARE(view->scatter()->yAxis->label(), QStringLiteral("temporal categorical RSA"));
    }

    void methodComparisonRunsShowsAndSelects()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        f.panel.tabs()->setCurrentWidget(f.panel.methodsView());
        MethodComparisonTab *view = f.panel.methodsView();
        view->setSettings(4, 3, 2, 10);
        view->runButton()->click();
        QVERIFY(view->isRunning());
        QVERIFY(view->cancelButton()->isEnabled());
        QTRY_VERIFY(view->result());
        QTRY_VERIFY(!view->isRunning());
        const gyrus::MethodComparisonRequest sent = f.engine.lastComparisonRequest();
        QCOMPARE(sent.k, 4);
        QCOMPARE(sent.folds, 3);
        QCOMPARE(sent.repeats, 2);
        QCOMPARE(sent.permutations, 10);
        QCOMPARE(sent.source.levelA, QStringLiteral("positive"));
        // Two bar sets with error bars, one null band per method.
        QCOMPARE(view->chart()->itemCount() >= 4, true);
        QCOMPARE(view->result()->rows.size(), 4);
        QTableView *features = view->selectedFeaturesView();
        QCOMPARE(features->model()->columnCount(), 4);
        QCOMPARE(features->model()->rowCount(), 4);
        const QModelIndex cell = features->model()->index(1, 2);
        QTest::mouseClick(features->viewport(), Qt::LeftButton, {},
                          features->visualRect(cell).center());
        QCOMPARE(f.hub.selectedFeature(), view->result()->rows[2].selectedFeatures[1]);

        // The numbers beside the chart, and both exported.
        QAbstractItemModel *numbers = view->numbersView()->model();
        QCOMPARE(numbers->rowCount(), 4);
        QCOMPARE(numbers->index(0, gyrus::MethodComparisonModel::AccuracyColumn).data().toString(),
                 QString::number(view->result()->rows[0].balancedAccuracy, 'f', 3));
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("methods.csv"));
        QVERIFY(view->exportNumbers(csv).isOk());
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3 + 1 + 4);
        QCOMPARE(lines[4].split(',').value(1).toDouble(), view->result()->rows[0].balancedAccuracy);
        for (const char *suffix : {"png", "svg", "pdf"}) {
            const QString figure = dir.filePath(QStringLiteral("chart.") + QLatin1String(suffix));
            QVERIFY(view->exportChart(figure).isOk());
            QVERIFY(QFileInfo(figure).size() > 500);
        }
        QVERIFY(!view->exportChart(dir.filePath(QStringLiteral("chart.txt"))).isOk());
    }

    // "Steer with ensemble": the chosen method's features as one Add edit, each moved by
    // m · sd · w / max|w| (the fake's weights 1, −0.5, … and spreads 0.25, 0.5, …).
    void ensembleSteeringSendsTheWeightedClampSet()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        MethodComparisonTab *view = f.panel.methodsView();
        f.panel.form()->setSaeFeatures(true);
        view->setSettings(4, 3, 2, 10);
        view->run();
        QTRY_VERIFY(view->result());
        QVERIFY(view->ensembleButton()->isEnabled());
        QVERIFY(view->steerWithEnsemble(1, 3.0).isOk());
        const gyrus::ClampSet set = f.hub.clampSet();
        QCOMPARE(set.clamps.size(), 4);
        const std::vector<int> &features = view->result()->rows[1].selectedFeatures;
        for (int j = 0; j < 4; ++j) {
            const gyrus::FeatureClamp &clamp = set.clamps[j];
            QCOMPARE(clamp.feature, features[size_t(j)]);
            QCOMPARE(clamp.mode, gyrus::ClampMode::Add);
            QCOMPARE(clamp.value, 3.0 * 0.25 * (j + 1) * (j % 2 == 0 ? 1.0 : -0.5));
        }
        QVERIFY(set.name.contains(nameOf(view->result()->rows[1].method)));
        QVERIFY(!view->steerWithEnsemble(99, 1.0).isOk());

        // The ensembles are kept in the workspace: after a restore the same clamp set is sent
        // without comparing again.
        gyrus::WorkspaceData data;
        const QJsonObject state = f.panel.workspaceState(&data);
        QSignalSpy asked(&f.engine, &gyrus::EngineClient::started);
        QVERIFY(f.panel.restoreWorkspaceState(state, data, nullptr).isOk());
        QVERIFY(view->result());
        QVERIFY(view->ensembleButton()->isEnabled());
        f.hub.setClampSet(gyrus::ClampSet{});
        QVERIFY(view->steerWithEnsemble(1, 3.0).isOk());
        QCOMPARE(f.hub.clampSet(), set);
        QTest::qWait(50);
        QCOMPARE(asked.size(), 0);

        // Raw activations: no ensemble to steer with.
        f.panel.form()->setSaeFeatures(false);
        view->run();
        QTRY_VERIFY(!view->isRunning());
        QTRY_VERIFY(view->result() && view->result()->rows[0].ensembleWeights.empty());
        QVERIFY(!view->ensembleButton()->isEnabled());
        QVERIFY(!view->steerWithEnsemble(0, 1.0).isOk());
    }

    // Explain… ▸ Features of the chosen method: examples from the engine, one prompt per feature,
    // suggestions in a table; nothing changes before Accept, a labelled feature keeps its label
    // unless ticked, an answer that does not parse leaves its feature alone.
    void batchExplainSuggestsAndAcceptsTickedLabels()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.engine.setSavedScanAvailable(true);
        QSignalSpy finished(&f.engine, &gyrus::EngineClient::finished);
        const gyrus::RequestId scan = f.engine.loadCorpusScan(QStringLiteral("scan.bin"));
        QTRY_VERIFY(gyrus::test::hasFinished(finished, scan));
        QVERIFY(!f.panel.explainButton()->isEnabled());  // no endpoint: off
        f.panel.form()->setSaeFeatures(true);
        MethodComparisonTab *view = f.panel.methodsView();
        view->setSettings(4, 3, 2, 10);
        view->run();
        QTRY_VERIFY(view->result());
        QString method;
        const std::vector<int> features = f.panel.methodFeatures(&method);
        QCOMPARE(features.size(), size_t(4));
        QCOMPARE(method, nameOf(view->result()->rows[0].method));
        f.hub.setAnnotation(features[0], {QStringLiteral("mine"), QString()});

        int asked = 0;
        gyrus::test::ScriptedJudge judge([&asked](const gyrus::ChatRequest &) {
            ++asked;
            return asked == 3 ? QStringLiteral(
                                        "I cannot tell what these have in common, they "
                                        "are all different")
                              : QStringLiteral("Jury talk %1\nEXPLANATION: Court.").arg(asked);
        });
        f.panel.setExplainer(&judge);
        QVERIFY(f.panel.explainButton()->isEnabled());
        BatchExplainDialog *dialog = f.panel.explainFeatures(features, QStringLiteral("test"));
        QVERIFY(dialog);
        QSignalSpy done(dialog, &BatchExplainDialog::finishedRun);
        QTRY_COMPARE(done.count(), 1);
        QVERIFY(done.at(0).at(0).value<gyrus::Status>().isOk());
        QCOMPARE(judge.requests.size(), 4);
        QStandardItemModel *rows = dialog->model();
        QCOMPARE(rows->rowCount(), 4);
        QCOMPARE(rows->item(0, 2)->checkState(), Qt::Unchecked);  // labelled: kept unless ticked
        QCOMPARE(rows->item(1, 2)->checkState(), Qt::Checked);
        QVERIFY(rows->item(2, 2)->text().isEmpty());  // did not parse
        QVERIFY2(rows->item(2, 4)->text().contains(QStringLiteral("does not parse")),
                 qPrintable(rows->item(2, 4)->text()));
        QCOMPARE(f.hub.annotation(features[1]).label, QString());  // nothing before Accept
        rows->item(3, 2)->setText(QStringLiteral("Jurors"));       // edited before accepting
        QCOMPARE(dialog->acceptChecked(), 2);
        QCOMPARE(f.hub.annotation(features[0]).label, QStringLiteral("mine"));
        QCOMPARE(f.hub.annotation(features[1]).label, QStringLiteral("Jury talk 2"));
        QCOMPARE(f.hub.annotation(features[2]).label, QString());
        QCOMPARE(f.hub.annotation(features[3]).label, QStringLiteral("Jurors"));
        const QJsonObject provenance = f.hub.annotation(features[3]).explanation;
        QVERIFY(provenance.value(QStringLiteral("explainer"))
                        .toString()
                        .startsWith(QStringLiteral("scripted judge")));
        QVERIFY(provenance.value(QStringLiteral("edited")).toBool());
        QCOMPARE(provenance.value(QStringLiteral("feature")).toInt(), features[3]);
        dialog->close();

        // Cancelled while reading examples: no question asked, no label changed.
        BatchExplainDialog *again = f.panel.explainFeatures(features, QStringLiteral("again"));
        QSignalSpy cancelled(again, &BatchExplainDialog::finishedRun);
        again->cancel();
        QTRY_COMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).value<gyrus::Status>().code(),
                 gyrus::Status::Code::Cancelled);
        QCOMPARE(judge.requests.size(), 4);
        QVERIFY(again->statusText().contains(QStringLiteral("Cancelled")));
        again->close();
    }

    // "Judged relevance": the engine's rankings (the fake's: each representation × method takes
    // the lines from its own offset on), a judge whose rating of "corpus line n" is n mod 4; the
    // view's numbers are those ratings' statistics, each distinct line is rated once per repeat,
    // a cancelled run keeps the result, the workspace brings it back, and it exports.
    void judgedRelevanceRatesTheMethodsTopTexts()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        JudgedMethodsTab *view = f.panel.judgedView();
        QVERIFY(!view->runButton()->isEnabled());  // no judge configured
        QTemporaryDir dir;
        const QString corpus = dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(corpus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int n = 1; n <= 30; ++n) {
            file.write(QStringLiteral("This is corpus line %1.\n\n").arg(n).toUtf8());
        }
        file.close();
        const QRegularExpression lineOf(QStringLiteral("\nText: This is corpus line (\\d+)\\."));
        gyrus::test::ScriptedJudge judge([&lineOf](const gyrus::ChatRequest &request) {
            const QRegularExpressionMatch m = lineOf.match(request.messages.back().content);
            return m.hasMatch() ? QString::number(m.captured(1).toInt() % 4)
                                : QStringLiteral("no text?");
        });
        f.panel.setExplainer(&judge);
        QVERIFY(view->runButton()->isEnabled());
        JudgedMethodsTab::Settings settings;
        settings.corpusPath = corpus;
        settings.concept = QStringLiteral("positive");
        settings.methods = QStringLiteral("mean-difference,univariate");
        settings.k = 3;
        settings.top = 5;
        settings.permutations = 199;
        settings.judge.repeats = 2;
        view->setSettings(settings);
        view->run();
        QVERIFY(view->isRunning());
        QTRY_VERIFY(!view->isRunning());
        QVERIFY2(view->result(), qPrintable(view->statusText()));
        const gyrus::MethodJudgement &j = *view->result();
        QCOMPARE(j.methods.size(), 4);  // {raw, SAE} × 2 methods
        QCOMPARE(j.concept, QStringLiteral("positive"));
        QCOMPARE(j.judge, QStringLiteral("scripted judge"));
        auto ratingOf = [](int line) { return double((line + 1) % 4); };  // 0-based line
        const QList<int> baseline = gyrus::randomBaselineLines(30, 5, 0);
        QCOMPARE(j.baseline.lines, baseline);
        std::vector<double> random;
        for (int line : baseline) {
            random.push_back(ratingOf(line));
        }
        std::vector<std::vector<double>> groups;
        QList<int> distinct = baseline;
        for (int m = 0; m < 4; ++m) {
            const gyrus::JudgedMethod &method = j.methods[m];
            QCOMPARE(method.ranking.representation,
                     m < 2 ? QStringLiteral("raw") : QStringLiteral("sae"));
            std::vector<double> ratings;
            double sum = 0;
            for (int i = 0; i < 5; ++i) {
                const int line = (m + i) % 30;
                QCOMPARE(method.list.lines[i], line);
                QCOMPARE(method.list.meanRatings[i], ratingOf(line));
                ratings.push_back(ratingOf(line));
                sum += ratingOf(line);
                if (!distinct.contains(line)) {
                    distinct << line;
                }
            }
            QVERIFY(std::abs(method.list.rating.estimate - sum / 5) < 1e-12);
            QCOMPARE(method.uVsRandom, gyrus::mannWhitneyU(ratings, random));
            QCOMPARE(method.pVsRandom, gyrus::mannWhitneyPermutationP(ratings, random, 199, 0));
            groups.push_back(ratings);
        }
        QCOMPARE(j.kruskalWallisH, gyrus::kruskalWallisH(groups));
        QCOMPARE(judge.requests.size(), 2 * distinct.size());  // each line once per repeat
        QAbstractItemModel *numbers = view->numbersView()->model();
        QCOMPARE(numbers->rowCount(), 5);  // four methods, then the baseline
        QCOMPARE(numbers->index(4, 1).data().toString(), QStringLiteral("baseline"));
        QCOMPARE(numbers->index(0, 2).data().toString(),
                 QString::number(j.methods[0].list.rating.estimate, 'f', 2));
        QVERIFY(view->summaryText().contains(QStringLiteral("Kruskal-Wallis H = ")));
        QCOMPARE(view->textsView()->model()->rowCount(), 5);

        // Exported at full precision.
        const QString csv = dir.filePath(QStringLiteral("judged.csv"));
        QVERIFY(view->exportNumbers(csv).isOk());
        QFile exported(csv);
        QVERIFY(exported.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = exported.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 1 + 5);
        QCOMPARE(lines[1].split(',').value(2).toDouble(), j.methods[0].list.rating.estimate);
        QVERIFY(view->exportTexts(dir.filePath(QStringLiteral("texts.h5"))).isOk());

        // Cancelled in either stage: the result stays.
        const auto kept = view->result();
        view->run();
        QVERIFY(view->isRunning());
        view->cancel();
        QVERIFY(!view->isRunning());
        QCOMPARE(view->result(), kept);
        QVERIFY(view->statusText().contains(QStringLiteral("previous result is kept")));
        gyrus::test::SilentJudge silent;
        f.panel.setExplainer(&silent);
        view->run();
        QTRY_VERIFY(view->statusText().startsWith(QStringLiteral("Stage 2")));
        QTRY_VERIFY(silent.asked > 0);
        view->cancel();
        QTRY_VERIFY(!view->isRunning());
        QCOMPARE(view->result(), kept);
        QVERIFY(view->statusText().contains(QStringLiteral("previous result is kept")));
        f.panel.setExplainer(&judge);

        // The workspace keeps the result and the settings.
        gyrus::WorkspaceData data;
        const QJsonObject state = f.panel.workspaceState(&data);
        f.panel.clearResults();
        QVERIFY(!view->result());
        view->setSettings(JudgedMethodsTab::Settings());
        QVERIFY(f.panel.restoreWorkspaceState(state, data, nullptr).isOk());
        QVERIFY(view->result());
        QCOMPARE(view->settings().corpusPath, corpus);
        QCOMPARE(view->settings().top, 5);
        const gyrus::MethodJudgement &back = *view->result();
        QCOMPARE(back.methods.size(), 4);
        for (int m = 0; m < 4; ++m) {
            QCOMPARE(back.methods[m].list.lines, j.methods[m].list.lines);
            QCOMPARE(back.methods[m].list.meanRatings, j.methods[m].list.meanRatings);
            QCOMPARE(back.methods[m].pVsRandom, j.methods[m].pVsRandom);
            QCOMPARE(back.methods[m].ranking.features, j.methods[m].ranking.features);
        }
        QCOMPARE(back.kruskalWallisP, j.kruskalWallisP);
        QCOMPARE(back.corpus.value(j.methods[0].list.lines[0]),
                 j.corpus.value(j.methods[0].list.lines[0]));
        QCOMPARE(gyrus::methodJudgementJson(back), gyrus::methodJudgementJson(j));
    }

    void methodComparisonCancels()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.engine.setComparisonSlices(100000);
        MethodComparisonTab *view = f.panel.methodsView();
        view->run();
        QTRY_VERIFY(view->progressBar()->value() > 0);
        view->cancelButton()->click();
        QTRY_VERIFY(!view->isRunning());
        QVERIFY(view->runButton()->isEnabled());
        QVERIFY(!view->result());
        QVERIFY2(view->statusText().contains(QStringLiteral("Cancelled")),
                 qPrintable(view->statusText()));
    }

    // "Replication report…": the form's prompt set and levels with the comparison's settings,
    // stage progress, a link to the written report; cancel writes nothing.
    void replicationReportRunsWithProgressAndCancels()
    {
        Fixture f;
        QTRY_VERIFY(f.ready());
        f.engine.setComparisonSlices(4);
        f.engine.setSliceMs(150);  // long enough to read the progress between slices
        MethodComparisonTab *view = f.panel.methodsView();
        view->setSettings(4, 3, 2, 10);
        ReplicationReportBar *bar = view->replicationBar();
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("report"));
        QSignalSpy written(bar, &ReplicationReportBar::written);
        bar->run(out);
        QVERIFY(bar->isRunning());
        QVERIFY(bar->cancelButton()->isEnabled());
        QVERIFY(!bar->runButton()->isEnabled());
        QTRY_VERIFY(bar->statusText().contains(QStringLiteral("ETA")));
        QTRY_COMPARE(written.count(), 1);
        QTRY_VERIFY(!bar->isRunning());
        const gyrus::ReplicationRequest sent = f.engine.lastReplicationRequest();
        QCOMPARE(sent.k, 4);
        QCOMPARE(sent.folds, 3);
        QCOMPARE(sent.repeats, 2);
        QCOMPARE(sent.permutations, 10);
        QCOMPARE(sent.outputDirectory, out);
        QCOMPARE(sent.source.levelA, QStringLiteral("positive"));
        QCOMPARE(sent.source.promptSet.name, QStringLiteral("demo-valence"));
        QVERIFY(QFile::exists(out + QStringLiteral("/report.html")));
        QVERIFY2(bar->statusText().contains(
                         QUrl::fromLocalFile(out + QStringLiteral("/report.html")).toString()),
                 qPrintable(bar->statusText()));
        QVERIFY(bar->statusText().contains(QStringLiteral("supported")));

        f.engine.setComparisonSlices(100000);
        const QString cancelled = dir.filePath(QStringLiteral("cancelled"));
        bar->run(cancelled);
        QTRY_VERIFY(bar->statusText().contains(QStringLiteral("stage 1 of")));
        bar->cancelButton()->click();
        QTRY_VERIFY(!bar->isRunning());
        QVERIFY(bar->runButton()->isEnabled());
        QVERIFY(!QFile::exists(cancelled + QStringLiteral("/report.html")));
        QVERIFY2(bar->statusText().contains(QStringLiteral("cancelled")),
                 qPrintable(bar->statusText()));
    }
};

QTEST_MAIN(TestContrastPanel)
#include "tst_contrast_panel.moc"
