#include "widgets/panels/feature_rsa_tab.h"

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
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QStackedWidget>
#include <QToolButton>

#include <algorithm>

namespace gyrus::widgets {

namespace {
constexpr int kSeparationRColumn = 2;  // feature, label, separation r, separation d, |A − B|
const QColor kPoint(108, 113, 196);
}  // namespace

FeatureRsaTab::FeatureRsaTab(EngineClient *engine, SelectionHub *hub, SessionState *session,
                             ContrastSettingsForm *form, QWidget *parent)
    : ContrastTabBase(engine, hub, session, form, QStringLiteral("rsaMap"), true,
                      {tr("Compute RSA map"), tr("RSA map failed: %1"), tr("Cancelled.")}, parent)
    , m_model(new FeatureStatsModel(hub, this))
    , m_score(new QComboBox(this))
    , m_scatter(new FeatureScatterPlot(this))
    , m_table(new FeatureTableView(m_model, this))
    , m_export(featureExportButton(m_model, m_scatter, tr("Scatter plot"),
                                   QStringLiteral("-rsa-map")))
{
    m_score->setObjectName(QStringLiteral("rsaMap.score"));
    m_score->addItem(tr("Pooled separation r"));
    m_score->addItem(tr("Pooled separation d"));
    m_score->setToolTip(tr("The score on the scatter plot's vertical axis"));
    m_scatter->setObjectName(QStringLiteral("rsaMap.scatter"));
    m_scatter->xAxis->setLabel(tr("max-activation contrast |mean A − mean B|"));
    m_scatter->setMinimumHeight(180);
    m_table->setObjectName(QStringLiteral("rsaMap.table"));
    m_export->setObjectName(QStringLiteral("rsaMap.export"));

    auto *splitter = new AdaptiveSplitter(this);
    splitter->addWidget(m_scatter);
    splitter->addWidget(m_table);
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_run);
    controls->addWidget(m_score);
    controls->addStretch(1);
    controls->addWidget(m_export);
    layOut(controls,
           new EmptyState(tr("No RSA map yet"),
                          tr("Compute RSA map scores every feature by how well its item-by-item "
                             "distances separate A from B (pooled separation r and d: distances "
                             "between each item's pooled value, so mean-difference statistics), "
                             "next to the plain difference of means. With the \"Aligned window\" "
                             "pooling it adds temporal RSA, which compares the items' time "
                             "courses."),
                          this),
           splitter);

    connect(m_run, &QPushButton::clicked, this, &FeatureRsaTab::run);
    connect(m_score, &QComboBox::currentIndexChanged, this, &FeatureRsaTab::updateScatter);
    connect(m_table, &FeatureTableView::featureClicked, this, &FeatureRsaTab::selectInHub);
    connect(m_scatter, &FeatureScatterPlot::featureClicked, this, &FeatureRsaTab::selectInHub);
    connect(m_hub, &SelectionHub::featureSelected, this, [this](int feature, const QString &) {
        m_scatter->setHighlightedFeature(feature);
        m_table->showFeature(feature);
    });
    m_requests->onResult(0, &EngineClient::featureRsaMapReady,
                         [this](const FeatureRsaMapPtr &result) { onResult(result); });
}

void FeatureRsaTab::clearResult()
{
    clearing();
    m_map.reset();
    m_model->setColumns(0, {});
    m_scatter->clearPoints();
    m_export->setEnabled(false);
}

void FeatureRsaTab::showMap(const FeatureRsaMapPtr &map, const ResultProvenance &computedWith)
{
    restoring(computedWith);
    onResult(map);
    updateStale();
}

FeatureRsaTab::~FeatureRsaTab() = default;

void FeatureRsaTab::run()
{
    QString problem = m_form->problem();
    const ContrastSource source = m_form->source();
    if (problem.isEmpty() && (source.levelA.isEmpty() || source.levelA == source.levelB)) {
        problem = tr("The RSA map compares two levels: choose A and B.");
    }
    if (refuse(problem)) {
        return;
    }
    started(m_engine->computeFeatureRsaMap(source), tr("Scoring every feature …"));
}

void FeatureRsaTab::onResult(const FeatureRsaMapPtr &map)
{
    if (!map) {
        return;
    }
    arriving();
    m_map = map;
    using Column = FeatureStatsModel::Column;
    using Format = FeatureStatsModel::Format;
    QList<Column> columns = {
            Column{tr("sep. r"),
                   tr("Pooled separation r (pooled-separation-r, once called discriminative "
                      "RSA): the correlation between the feature's pooled item distances "
                      "|x_i − x_j| and the model RDM [condition_i ≠ condition_j]; a "
                      "mean-difference statistic, not the temporal RSA of docs/temporal_rsa.md"),
                   map->pooledSeparationR, Format::Fixed3},
            Column{tr("sep. d"),
                   tr("Pooled separation d (pooled-separation-d, once called categorical RSA): "
                      "(mean between-condition distance − mean within) / pooled SD of the "
                      "pooled item distances"),
                   map->pooledSeparationD, Format::Fixed3},
            Column{tr("|A − B|"), tr("Max-activation contrast: |mean A − mean B|"),
                   map->maxActivation, Format::Fixed3}};
    const bool temporal = !map->temporalDiscriminativeRsa.empty();
    if (temporal) {
        columns << Column{tr("temp. disc."),
                          tr("Temporal discriminative RSA: Spearman ρ between the feature's RDM "
                             "of the items' time courses (correlation distance) and the "
                             "between/within-condition model"),
                          map->temporalDiscriminativeRsa, Format::Fixed3}
                << Column{tr("temp. cat."),
                          tr("Temporal categorical RSA: how much more coherent the time courses "
                             "are within A than within B (positive: A more coherent)"),
                          map->temporalCategoricalRsa, Format::Fixed3};
    }
    m_model->setColumns(static_cast<int>(map->featureCount()), columns);
    // The temporal scores are offered on the scatter plot only when the map has them.
    while (m_score->count() > 2) {
        m_score->removeItem(m_score->count() - 1);
    }
    if (temporal) {
        m_score->addItem(tr("Temporal discriminative RSA"));
        m_score->addItem(tr("Temporal categorical RSA"));
    }
    m_table->fitColumns();
    m_table->sortByColumn(kSeparationRColumn, Qt::DescendingOrder);
    m_stack->setCurrentIndex(1);
    m_export->setEnabled(true);
    updateScatter();
    // A new map opens on its top features; the selected one stays marked where it is.
    m_table->showFeature(m_hub->selectedFeature(), false);
    m_table->scrollToTop();
    showSummary(tr("%1 · %2 items · A = %3, B = %4 · %5 features")
                        .arg(map->representation)
                        .arg(map->itemCount)
                        .arg(map->sideA, map->sideB)
                        .arg(map->featureCount()));
    Q_EMIT resultShown();
}

void FeatureRsaTab::setScatterScore(int score)
{
    m_score->setCurrentIndex(score);
}

void FeatureRsaTab::updateScatter()
{
    if (!m_map) {
        return;
    }
    const std::vector<const std::vector<double> *> scores = {
            &m_map->pooledSeparationR, &m_map->pooledSeparationD, &m_map->temporalDiscriminativeRsa,
            &m_map->temporalCategoricalRsa};
    const int index = std::clamp(m_score->currentIndex(), 0, int(scores.size()) - 1);
    const std::vector<double> &y =
            scores[size_t(index)]->empty() ? *scores[0] : *scores[size_t(index)];
    const QStringList labels = {tr("pooled separation r"), tr("pooled separation d"),
                                tr("temporal discriminative RSA"), tr("temporal categorical RSA")};
    m_scatter->yAxis->setLabel(labels[scores[size_t(index)]->empty() ? 0 : index]);
    std::vector<int> ids(static_cast<size_t>(m_map->featureCount()));
    for (size_t j = 0; j < ids.size(); ++j) {
        ids[j] = static_cast<int>(j);
    }
    // Constant features score 0 on everything: they would pile up at the origin.
    std::vector<int> group(ids.size(), 0);
    for (size_t j = 0; j < ids.size(); ++j) {
        if (m_map->maxActivation[j] == 0 && y[j] == 0) {
            group[j] = -1;
        }
    }
    m_scatter->setPoints({{QString(), kPoint, 5}}, ids, m_map->maxActivation, y, group);
    m_scatter->setHighlightedFeature(m_hub->selectedFeature());
}

}  // namespace gyrus::widgets
