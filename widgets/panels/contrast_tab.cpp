#include "widgets/panels/contrast_tab.h"

#include "core/contrasts/feature_stats_model.h"
#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "core/session/selection_hub.h"
#include "widgets/common/adaptive_splitter.h"
#include "widgets/common/empty_state.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/feature_scatter_plot.h"
#include "widgets/views/feature_table_view.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPointer>
#include <QPushButton>
#include <QStackedWidget>
#include <QThreadPool>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

constexpr double kQThreshold = 0.05;
constexpr int kPColumn = 6;  // feature, label, mean A, mean B, t, d, p, q
constexpr int kQColumn = 7;
const QColor kAHigher(203, 75, 22);
const QColor kBHigher(38, 139, 210);
const QColor kNotSignificant(147, 161, 161);

double minusLog10(double q)
{
    return -std::log10(std::max(q, 1e-300));
}

}  // namespace

ContrastTab::VolcanoPoints ContrastTab::volcanoPoints(const ContrastResult &s)
{
    // Features with any variance (a dead feature has no t); coloured when q < 0.05.
    VolcanoPoints points;
    const int features = static_cast<int>(s.featureCount());
    for (int j = 0; j < features; ++j) {
        const auto k = static_cast<size_t>(j);
        if (!s.zeroVariance.empty() && s.zeroVariance[k]) {
            continue;
        }
        points.ids.push_back(j);
        points.x.push_back(s.d[k]);
        points.y.push_back(minusLog10(s.q[k]));
        const bool isSignificant = s.q[k] < kQThreshold;
        points.group.push_back(!isSignificant ? 2 : (s.d[k] > 0 ? 0 : 1));
    }
    return points;
}

ContrastTab::ContrastTab(EngineClient *engine, SelectionHub *hub, SessionState *session,
                         ContrastSettingsForm *form, QWidget *parent)
    : ContrastTabBase(engine, hub, session, form, QStringLiteral("contrast"), false,
                      {tr("Run contrast"), tr("Contrast failed: %1"), tr("Cancelled.")}, parent)
    , m_model(new FeatureStatsModel(hub, this))
    , m_effect(new QComboBox(this))
    , m_volcano(new FeatureScatterPlot(this))
    , m_threshold(new QCPItemStraightLine(m_volcano))
    , m_table(new FeatureTableView(m_model, this))
    , m_export(featureExportButton(m_model, m_volcano, tr("Volcano plot"),
                                   QStringLiteral("-contrast")))
{
    m_effect->setObjectName(QStringLiteral("contrast.effect"));
    m_effect->setToolTip(tr("Which effect of the 2 × 2 design to show"));
    m_effect->setVisible(false);

    m_volcano->setObjectName(QStringLiteral("contrast.volcano"));
    m_volcano->xAxis->setLabel(tr("Cohen's d (A − B)"));
    m_volcano->yAxis->setLabel(tr("−log10 q"));
    m_volcano->setMinimumHeight(180);
    QPen dashed(palette().color(QPalette::Text), 1, Qt::DashLine);
    dashed.setColor(QColor(120, 120, 120));
    m_threshold->setPen(dashed);
    m_threshold->point1->setCoords(0, minusLog10(kQThreshold));
    m_threshold->point2->setCoords(1, minusLog10(kQThreshold));
    m_threshold->setVisible(false);
    m_volcano->legend->setVisible(true);
    auto *thresholdLabel = new QCPItemText(m_volcano);
    thresholdLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    thresholdLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    thresholdLabel->position->setTypeY(QCPItemPosition::ptPlotCoords);
    thresholdLabel->position->setCoords(0.995, minusLog10(kQThreshold));
    thresholdLabel->setText(tr("q = 0.05"));
    thresholdLabel->setColor(QColor(120, 120, 120));

    m_table->setObjectName(QStringLiteral("contrast.table"));
    m_export->setObjectName(QStringLiteral("contrast.export"));

    auto *splitter = new AdaptiveSplitter(this);
    splitter->addWidget(m_volcano);
    splitter->addWidget(m_table);
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_run);
    controls->addWidget(m_effect);
    controls->addStretch(1);
    controls->addWidget(m_export);
    layOut(controls,
           new EmptyState(tr("No contrast yet"),
                          tr("Choose the factor and its levels above, then Run contrast: every "
                             "feature gets Welch's t, Cohen's d and a BH q-value."),
                          this),
           splitter);

    connect(m_run, &QPushButton::clicked, this, &ContrastTab::run);
    connect(m_effect, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0) {
            showEffect(index);
        }
    });
    connect(m_table, &FeatureTableView::featureClicked, this, &ContrastTab::selectInHub);
    connect(m_volcano, &FeatureScatterPlot::featureClicked, this, &ContrastTab::selectInHub);
    connect(m_hub, &SelectionHub::featureSelected, this,
            [this](int feature, const QString &) { onFeatureSelected(feature); });
    m_requests->onResult(0, &EngineClient::contrastReady,
                         [this](const ContrastAnalysisResultPtr &result) { onResult(result); });
}

void ContrastTab::clearResult()
{
    clearing();
    m_result.reset();
    ++m_shownEffects;  // a volcano still to be drawn was for the old result
    m_model->setColumns(0, {});
    m_volcano->clearPoints();
    m_export->setEnabled(false);
}

void ContrastTab::showResult(const ContrastAnalysisResultPtr &result,
                             const ResultProvenance &computedWith)
{
    restoring(computedWith);  // a run still going would replace what the workspace restores
    onResult(result);
    updateStale();
}

ContrastTab::~ContrastTab() = default;

void ContrastTab::run()
{
    if (refuse(m_form->problem())) {
        return;
    }
    const ContrastSource source = m_form->source();
    started(m_engine->runContrast(source),
            tr("Running the model over %1 items …").arg(source.promptSet.items.size()));
}

void ContrastTab::onResult(const ContrastAnalysisResultPtr &result)
{
    if (!result) {
        return;
    }
    arriving();
    m_result = result;
    {
        const QSignalBlocker blocker(m_effect);
        m_effect->clear();
        for (const ContrastEffect &effect : result->effects) {
            m_effect->addItem(effect.name);
        }
    }
    m_effect->setVisible(result->effects.size() > 1);
    m_stack->setCurrentIndex(1);
    m_export->setEnabled(true);
    showEffect(0);
    Q_EMIT resultShown();
}

int ContrastTab::currentEffect() const
{
    return m_effect->currentIndex();
}

int ContrastTab::effectCount() const
{
    return m_result ? static_cast<int>(m_result->effects.size()) : 0;
}

void ContrastTab::showEffect(int index)
{
    if (!m_result || index < 0 || index >= m_result->effects.size()) {
        return;
    }
    if (m_effect->currentIndex() != index) {
        const QSignalBlocker blocker(m_effect);
        m_effect->setCurrentIndex(index);
    }
    const ContrastEffect &effect = m_result->effects[index];
    const ContrastResult &s = effect.stats;
    const int features = static_cast<int>(s.featureCount());
    using Column = FeatureStatsModel::Column;
    using Format = FeatureStatsModel::Format;
    // Appended one by one: each column's values are copied once (a braced list copies them
    // twice, 12 copies of 262k values for a wide SAE).
    QList<Column> columns;
    columns.reserve(6);
    columns.append(Column{tr("Mean A"), tr("Mean over A: %1").arg(effect.sideA), effect.meanA,
                          Format::Fixed3});
    columns.append(Column{tr("Mean B"), tr("Mean over B: %1").arg(effect.sideB), effect.meanB,
                          Format::Fixed3});
    columns.append(Column{tr("t"), tr("Welch t of A − B"), s.t, Format::Fixed2});
    columns.append(Column{tr("d"), tr("Cohen's d of A − B (pooled SD)"), s.d, Format::Fixed2});
    columns.append(
            Column{tr("p"), tr("Two-sided p (Welch–Satterthwaite df)"), s.p, Format::Probability});
    columns.append(Column{tr("q"), tr("Benjamini–Hochberg q across the %1 features").arg(features),
                          s.q, Format::Probability});
    m_model->setColumns(features, std::move(columns));
    m_table->fitColumns();
    m_table->setTieBreak(kQColumn, kPColumn);
    m_table->sortByColumn(kQColumn, Qt::AscendingOrder);

    int significant = 0;
    int plotted = 0;
    for (int j = 0; j < features; ++j) {
        const auto k = static_cast<size_t>(j);
        if (s.zeroVariance.empty() || !s.zeroVariance[k]) {
            ++plotted;
            significant += s.q[k] < kQThreshold ? 1 : 0;
        }
    }
    if (features > FeatureScatterPlot::kThinnedPoints) {
        // A wide SAE: the table's reset fills this turn of the event loop; the volcano's points
        // are worked out on a worker thread and plotted in a turn of their own (then thinned on
        // a worker thread too).
        const quint64 shown = ++m_shownEffects;
        QPointer<ContrastTab> self(this);
        ContrastAnalysisResultPtr result = m_result;
        QThreadPool::globalInstance()->start([self, shown, result, index] {
            auto points = std::make_shared<const VolcanoPoints>(
                    volcanoPoints(result->effects[index].stats));
            // Answered through the application object (GUI thread), which checks there whether
            // the view still exists.
            QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [self, shown, result, index, points] {
                        if (self && shown == self->m_shownEffects) {
                            self->plotVolcano(result->effects[index], *points);
                        }
                    },
                    Qt::QueuedConnection);
        });
    } else {
        ++m_shownEffects;
        plotVolcano(effect, volcanoPoints(s));
    }
    const int dead = features - plotted;
    QString summary = tr("%1 · %2 items · A = %3, B = %4 · %5 of %6 features with q < 0.05")
                              .arg(m_result->representation)
                              .arg(m_result->itemCount)
                              .arg(effect.sideA, effect.sideB)
                              .arg(significant)
                              .arg(features);
    if (dead > 0) {
        summary += tr(" · %1 constant (not plotted)").arg(dead);
    }
    if (!m_result->notes.isEmpty()) {
        summary += tr(" · %1 items dropped").arg(m_result->notes.size());
    }
    showSummary(summary);
    // A new table opens on its top hits; the selected feature stays marked where it is.
    m_table->showFeature(m_hub->selectedFeature(), false);
    m_table->scrollToTop();
}

void ContrastTab::plotVolcano(const ContrastEffect &effect, const VolcanoPoints &points)
{
    const int features = static_cast<int>(effect.stats.featureCount());
    m_volcano->setPoints({{tr("%1 higher").arg(effect.sideA), kAHigher, 6},
                          {tr("%1 higher").arg(effect.sideB), kBHigher, 6},
                          {tr("q ≥ 0.05"), kNotSignificant, 4}},
                         points.ids, points.x, points.y, points.group);
    // The q = 0.05 line stays in view even when nothing reaches it.
    m_threshold->setVisible(true);
    const QCPRange yRange = m_volcano->yAxis->range();
    m_volcano->yAxis->setRange(std::min(0.0, yRange.lower),
                               std::max(yRange.upper, minusLog10(kQThreshold) * 1.25));
    m_volcano->setHighlightedFeature(m_hub->selectedFeature());
    m_volcano->replot(features > FeatureScatterPlot::kThinnedPoints ? QCustomPlot::rpQueuedReplot
                                                                    : QCustomPlot::rpRefreshHint);
}

void ContrastTab::onFeatureSelected(int feature)
{
    m_volcano->setHighlightedFeature(feature);
    m_table->showFeature(feature);
}

}  // namespace gyrus::widgets
