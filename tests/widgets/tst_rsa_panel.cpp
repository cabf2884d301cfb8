// The RSA dock with FakeEngineClient: controls → request, result → views (grouping, boundaries,
// hover), live follow of the prompt set and clamp set, exports.

#include "core/hdf5/hdf5_reader.h"
#include "core/prompts/prompt_set_io.h"
#include "core/rsa/rdm_csv.h"
#include "core/rsa/rsa_statistics_model.h"
#include "core/session/selection_hub.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/views/mds_scatter_view.h"
#include "widgets/views/rdm_heatmap_view.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QImage>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

PromptSet demoSet(const QString &name)
{
    return loadPromptSet(test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/") + name +
                                          QStringLiteral(".json")))
            .value()
            .set;
}

// A control of the dock's form by its object name ("rsa.hook"), as a user reaches it.
template <typename Control>
Control *control(const QWidget &panel, const char *name)
{
    auto *found = panel.findChild<Control *>(QLatin1String(name));
    if (!found) {
        qFatal("the RSA dock has no %s named %s", Control::staticMetaObject.className(), name);
    }
    return found;
}

void choose(QComboBox *box, const QString &data)
{
    const int index = box->findData(data);
    QVERIFY2(index >= 0, qPrintable(data));
    box->setCurrentIndex(index);
}

}  // namespace

class TestRsaPanel : public QObject
{
    Q_OBJECT
private:
    struct Fixture
    {
        test::FakeEngineClient engine;
        SelectionHub hub;
        widgets::RsaPanel panel{&engine, &hub};

        Fixture()
        {
            engine.setSliceMs(1);
            panel.resize(1100, 700);
            panel.setHookNames({QStringLiteral("blocks.0.hook_resid_post"),
                                QStringLiteral("blocks.1.hook_resid_post"),
                                QStringLiteral("blocks.2.hook_resid_post"),
                                QStringLiteral("blocks.3.hook_resid_post")});
            SaeSpec spec;
            spec.path = QStringLiteral("/sae");
            panel.setSae(test::FakeEngineClient::saeCardFor(spec));
        }

        bool computeAndWait()
        {
            const RequestId id = panel.compute();
            return id != 0 && QTest::qWaitFor(
                                      [&] {
                                          return panel.result() != nullptr &&
                                                 panel.statusText() != QStringLiteral("Computing…");
                                      },
                                      5000);
        }
    };

private Q_SLOTS:

    // The panel follows the study's SAE: its features at its hook, raw without one.
    void defaultsFollowTheLoadedSae()
    {
        Fixture f;
        QCOMPARE(control<QComboBox>(f.panel, "rsa.representation")->currentData().toString(),
                 QStringLiteral("sae"));
        QCOMPARE(control<QComboBox>(f.panel, "rsa.hook")->currentText(),
                 QStringLiteral("blocks.2.hook_resid_post"));
        SaeSpec spec;
        spec.path = QStringLiteral("/sae-layer-1");
        SaeInfo other = test::FakeEngineClient::saeCardFor(spec);
        other.hookName = QStringLiteral("blocks.1.hook_resid_post");
        f.panel.setSae(other);
        QCOMPARE(control<QComboBox>(f.panel, "rsa.hook")->currentText(), other.hookName);
        // A model reload keeps the SAE's hook, not the middle of the list.
        f.panel.setHookNames({QStringLiteral("blocks.0.hook_resid_post"),
                              QStringLiteral("blocks.1.hook_resid_post"),
                              QStringLiteral("blocks.2.hook_resid_post")});
        QCOMPARE(control<QComboBox>(f.panel, "rsa.hook")->currentText(), other.hookName);
        f.panel.setSae(SaeInfo());
        QCOMPARE(control<QComboBox>(f.panel, "rsa.representation")->currentData().toString(),
                 QStringLiteral("raw"));
        QVERIFY(control<QComboBox>(f.panel, "rsa.hook")->isEnabled());
    }

    void controlsProduceTheRequest()
    {
        Fixture f;
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-tense-number")));
        f.hub.addClamp(FeatureClamp{5, ClampMode::Clamp, 4.0});
        f.hub.addClamp(FeatureClamp{9, ClampMode::Scale, 0.0});
        choose(control<QComboBox>(f.panel, "rsa.representation"), QStringLiteral("sae"));
        choose(control<QComboBox>(f.panel, "rsa.pooling"), QStringLiteral("last"));
        choose(control<QComboBox>(f.panel, "rsa.metric"), QStringLiteral("cosine"));
        choose(control<QComboBox>(f.panel, "rsa.subset"), QStringLiteral("explicit"));
        choose(control<QComboBox>(f.panel, "rsa.comparison"), QStringLiteral("kendall_tau_a"));
        control<QSpinBox>(f.panel, "rsa.permutations")->setValue(250);
        control<QCheckBox>(f.panel, "rsa.intervention")->setChecked(true);
        QVERIFY(f.computeAndWait());
        const RsaRequest r = f.engine.lastRsaRequest();
        QCOMPARE(r.set.items.size(), 64);
        QVERIFY(r.saeFeatures);
        QCOMPARE(r.hookName, QStringLiteral("blocks.2.hook_resid_post"));  // the SAE's hook
        QVERIFY(!control<QComboBox>(f.panel, "rsa.hook")->isEnabled());
        QCOMPARE(r.pooling, Pooling::LastToken);
        QCOMPARE(r.metric, RdmMetric::Cosine);
        QCOMPARE(r.subset, RsaFeatureSubset::Explicit);
        QCOMPARE(r.features, (QList<int>{5, 9}));
        QCOMPARE(r.comparisonMethod, RsaMethod::KendallTauA);
        QCOMPARE(r.permutations, 250);
        QVERIFY(r.intervention);
        QCOMPARE(r.clamps, f.hub.clampSet());

        // Top-k by a selection method.
        choose(control<QComboBox>(f.panel, "rsa.subset"), QStringLiteral("top-k"));
        control<QSpinBox>(f.panel, "rsa.topK")->setValue(12);
        choose(control<QComboBox>(f.panel, "rsa.selection"), QStringLiteral("pooled-separation-r"));
        QCOMPARE(f.panel.request().subset, RsaFeatureSubset::TopK);
        QCOMPARE(f.panel.request().topK, 12);
        QCOMPARE(f.panel.request().selectionMethod, SelectionMethod::PooledSeparationR);
        QVERIFY(f.panel.request().features.isEmpty());
    }

    // The intent the app's start-up options use instead of the panel's combo boxes.
    void setRequestSetsTheForm()
    {
        Fixture f;
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-tense-number")));
        RsaRequest wanted;
        wanted.hookName = QStringLiteral("blocks.1.hook_resid_post");
        wanted.pooling = Pooling::TargetWindow;
        wanted.metric = RdmMetric::Euclidean;
        wanted.subset = RsaFeatureSubset::TopK;
        wanted.topK = 7;
        wanted.selectionMethod = SelectionMethod::Univariate;
        wanted.comparisonMethod = RsaMethod::Pearson;
        wanted.permutations = 300;
        wanted.bootstraps = 40;
        wanted.intervention = true;
        f.panel.setRequest(wanted);
        RsaRequest r = f.panel.request();
        QCOMPARE(r.hookName, wanted.hookName);
        QVERIFY(!r.saeFeatures);
        QCOMPARE(r.pooling, wanted.pooling);
        QCOMPARE(r.metric, wanted.metric);
        QCOMPARE(r.subset, wanted.subset);
        QCOMPARE(r.topK, wanted.topK);
        QCOMPARE(r.selectionMethod, wanted.selectionMethod);
        QCOMPARE(r.comparisonMethod, wanted.comparisonMethod);
        QCOMPARE(r.permutations, wanted.permutations);
        QCOMPARE(r.bootstraps, wanted.bootstraps);
        QVERIFY(r.intervention);

        // SAE features read the SAE's own hook.
        wanted.saeFeatures = true;
        f.panel.setRequest(wanted);
        r = f.panel.request();
        QVERIFY(r.saeFeatures);
        QCOMPARE(r.hookName, QStringLiteral("blocks.2.hook_resid_post"));
    }

    void heatmapGroupsByConditionWithBoundariesAndHover()
    {
        Fixture f;
        QAbstractItemModelTester tester(f.panel.statisticsModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        f.panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.panel));
        const PromptSet set = demoSet(QStringLiteral("demo-tense-number"));
        f.panel.setPromptSet(set);
        QVERIFY(f.computeAndWait());
        const widgets::RdmHeatmapView *view = f.panel.rdmView();
        QVERIFY(view->hasMatrix());
        QCOMPARE(view->rdm().size(), 64);
        // 2 × 2 cells of 16 items: lines where each new condition starts.
        QCOMPARE(view->conditionBoundaries(), (QList<int>{16, 32, 48}));
        const QList<PromptCondition> conditions = set.conditions();
        QCOMPARE(f.panel.result()->conditions.mid(16, 16),
                 QStringList(16, f.panel.result()->conditions.at(16)));

        // Hover names both items (ids and texts) and the value.
        const std::shared_ptr<const RsaResult> result = f.panel.result();
        const QString text = view->hoverText(3, 40);
        const PromptItem &a = set.items[result->items[3]];
        const PromptItem &b = set.items[result->items[40]];
        QVERIFY2(text.contains(a.id) && text.contains(b.id), qPrintable(text));
        QVERIFY2(text.contains(a.text.toHtmlEscaped()) && text.contains(b.text.toHtmlEscaped()),
                 qPrintable(text));
        QVERIFY(text.contains(QString::number(double(result->rdm.at(3, 40)), 'g', 4)));

        // A widget position maps back to the cell.
        QVERIFY(view->cellAt(QPoint(view->width() / 2, view->height() / 2)).has_value());
        QVERIFY(!view->cellAt(QPoint(1, 1)).has_value());

        // The model RDM of the first factor beside it, statistics below.
        QCOMPARE(control<QComboBox>(f.panel, "rsa.model")->count(), 2);
        QCOMPARE(f.panel.modelView()->rdm().size(), 64);
        QVERIFY2(f.panel.statisticsText().contains(QStringLiteral("tense | 0.500")),
                 qPrintable(f.panel.statisticsText()));
        QCOMPARE(f.panel.statisticsModel()->rowCount(), 2);
        QCOMPARE(f.panel.statisticsModel()->columnCount(), 4);  // no intervention columns
        QCOMPARE(f.panel.statisticsModel()->headerData(1, Qt::Horizontal).toString(),
                 QStringLiteral("Spearman ρ"));

        // MDS: one legend entry per condition, in grouped order.
        QCOMPARE(f.panel.mdsView()->legendConditions().size(), conditions.size());
        QCOMPARE(f.panel.mdsView()->hoverText(0).contains(set.items[result->items[0]].id), true);
    }

    void boundariesFollowTheSetsConditions()
    {
        Fixture f;
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-valence")));
        QVERIFY(f.computeAndWait());
        QCOMPARE(f.panel.rdmView()->conditionBoundaries(), QList<int>{20});
        // After the first computation the panel follows the prompt set by itself.
        const int before = f.engine.rsaRequestCount();
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-tense-number")));
        QTRY_VERIFY(f.engine.rsaRequestCount() > before);
        QTRY_COMPARE(f.panel.rdmView()->conditionBoundaries(), (QList<int>{16, 32, 48}));
    }

    void interventionShowsClampedAndDifference()
    {
        Fixture f;
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-valence")));
        f.hub.addClamp(FeatureClamp{7, ClampMode::Clamp, 10.0});
        control<QCheckBox>(f.panel, "rsa.intervention")->setChecked(true);
        QVERIFY(f.computeAndWait());
        QVERIFY(f.panel.clampedView()->hasMatrix());
        QVERIFY(f.panel.differenceView()->hasMatrix());
        // Diverging scale centred on 0.
        QCOMPARE(f.panel.differenceView()->low(), -f.panel.differenceView()->high());
        const QString summary = f.panel.interventionText();
        QVERIFY2(summary.contains(QStringLiteral("#7")) &&
                         summary.contains(QStringLiteral("0.500 → 0.300")),
                 qPrintable(summary));
        // A clamp set change recomputes when the intervention is on.
        const int before = f.engine.rsaRequestCount();
        f.hub.addClamp(FeatureClamp{8, ClampMode::Clamp, 2.0});
        QTRY_VERIFY(f.engine.rsaRequestCount() > before);
        QTRY_COMPARE(f.engine.lastRsaRequest().clamps.clamps.size(), 2);
    }

    void exportsRoundTrip()
    {
        Fixture f;
        f.panel.setPromptSet(demoSet(QStringLiteral("demo-valence")));
        QVERIFY(!f.panel.exportRdmCsv(QStringLiteral("/tmp/never.csv")).isOk());
        control<QCheckBox>(f.panel, "rsa.intervention")->setChecked(true);
        QVERIFY(f.computeAndWait());
        QTemporaryDir dir;
        if (qEnvironmentVariableIsSet("GYRUS_KEEP_RSA_FIGURES")) {
            dir.setAutoRemove(false);
            qInfo() << "figures in" << dir.path();
        }
        const QString csv = dir.filePath(QStringLiteral("rdm.csv"));
        QVERIFY(f.panel.exportRdmCsv(csv).isOk());
        const Result<Rdm> read = readRdmCsv(csv);
        QVERIFY2(read.isOk(), qPrintable(read.status().message()));
        QCOMPARE(read->ids(), f.panel.result()->rdm.ids());
        QVERIFY(read->condensed() == f.panel.result()->rdm.condensed());

        const QString h5 = dir.filePath(QStringLiteral("rdm.h5"));
        QVERIFY(f.panel.exportRdmHdf5(h5).isOk());
        auto reader = Hdf5Reader::open(h5);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->shape(QStringLiteral("rdm")).value(),
                 (std::vector<int64_t>{40, 40}));
        QCOMPARE(reader.value()->shape(QStringLiteral("rdm_difference")).value(),
                 (std::vector<int64_t>{40, 40}));
        const FloatMatrix square = reader.value()->readFloatMatrix(QStringLiteral("rdm")).value();
        QCOMPARE(square.values, f.panel.result()->rdm.toSquare());

        for (const QString &view :
             {QStringLiteral("rdm"), QStringLiteral("mds"), QStringLiteral("intervention")}) {
            f.panel.showView(view);
            for (const QString &suffix :
                 {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
                const QString path = dir.filePath(view + QLatin1Char('.') + suffix);
                const Status written = f.panel.exportFigure(path);
                QVERIFY2(written.isOk(),
                         qPrintable(path + QStringLiteral(": ") + written.message()));
                QVERIFY2(QFileInfo(path).size() > 1000, qPrintable(path));
            }
            QImage png(dir.filePath(view + QStringLiteral(".png")));
            QVERIFY(!png.isNull());
            QVERIFY(png.width() >= 900);
        }
        QVERIFY(!f.panel.exportFigure(dir.filePath(QStringLiteral("x.bmpx"))).isOk());
    }

    void refusesTooSmallASet()
    {
        Fixture f;
        PromptSet tiny = demoSet(QStringLiteral("demo-valence"));
        tiny.items = tiny.items.mid(0, 2);
        f.panel.setPromptSet(tiny);
        QCOMPARE(f.panel.compute(), RequestId(0));
        QVERIFY(f.panel.statusText().contains(QStringLiteral("at least 3")));
    }
};

QTEST_MAIN(TestRsaPanel)
#include "tst_rsa_panel.moc"
