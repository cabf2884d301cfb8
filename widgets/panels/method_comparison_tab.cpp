#include "widgets/panels/method_comparison_tab.h"

#include "core/contrasts/method_comparison_model.h"
#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "core/session/selection_hub.h"
#include "core/steering/ensemble_clamp.h"
#include "widgets/common/adaptive_splitter.h"
#include "widgets/common/empty_state.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/icons.h"
#include "widgets/common/plot_style.h"
#include "widgets/panels/replication_report_bar.h"
#include "widgets/views/contrast_settings_form.h"
#include "widgets/views/rsa_figure_export.h"

#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTableView>
#include <QToolButton>
#include <qcustomplot.h>

#include <algorithm>

namespace gyrus::widgets {

namespace {

constexpr int kFeatureRole = Qt::UserRole;
const QColor kAccuracy(38, 139, 210);
const QColor kAuc(42, 161, 152);
const QColor kNull(147, 161, 161);

// Two lines where the full label would collide with its neighbour on the axis.
QString tickName(SelectionMethod method)
{
    const QString label = labelOf(method);
    const int space = label.lastIndexOf(QLatin1Char(' '));
    return space > 0 ? label.left(space) + QLatin1Char('\n') + label.mid(space + 1) : label;
}

QSpinBox *spin(int low, int high, int value, const QString &tip, QWidget *parent)
{
    auto *box = new QSpinBox(parent);
    box->setRange(low, high);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

}  // namespace

MethodComparisonTab::MethodComparisonTab(EngineClient *engine, SelectionHub *hub,
                                         SessionState *session, ContrastSettingsForm *form,
                                         QWidget *parent)
    : ContrastTabBase(
              engine, hub, session, form, QStringLiteral("methods"), true,
              {tr("Compare methods"), tr("Comparison failed: %1"), tr("Cancelled: no result.")},
              parent)
    , m_k(spin(1, 256, 8, tr("Features each method selects (inside each training fold)"), this))
    , m_folds(spin(2, 20, 5, tr("Stratified cross-validation folds"), this))
    // Fewer repeats and permutations than `gyrus-cli compare-methods` (10, 100) by default: on
    // thousands of SAE features a step takes about a second on a CPU.
    , m_repeats(spin(1, 100, 5, tr("Repeats of the split (the 95% interval is over them)"), this))
    , m_permutations(spin(0, 2000, 20,
                          tr("Label permutations for the null band and p (p ≥ 1 / (1 + "
                             "permutations))"),
                          this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_replication(new ReplicationReportBar(
              engine, form,
              [this] {
                  ReplicationRequest r;
                  r.k = m_k->value();
                  r.folds = m_folds->value();
                  r.repeats = m_repeats->value();
                  r.permutations = m_permutations->value();
                  return r;
              },
              this))
    , m_chart(new QCustomPlot(this))
    , m_featureModel(new QStandardItemModel(this))
    , m_features(new QTableView(this))
    , m_numbersModel(new MethodComparisonModel(this))
    , m_numbers(new QTableView(this))
    , m_export(new QToolButton(this))
    , m_ensemble(new QPushButton(tr("Steer with ensemble"), this))
    , m_ensembleStrength(new QDoubleSpinBox(this))
{
    m_cancel->setIcon(uiIcon(QStringLiteral("cancel")));
    m_cancel->setObjectName(QStringLiteral("methods.cancel"));
    m_cancel->setEnabled(false);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(m_run->sizeHint().height() / 2);
    m_progress->setVisible(false);
    m_chart->setObjectName(QStringLiteral("methods.chart"));
    m_chart->setMinimumHeight(200);
    applyPlotStyle(m_chart);
    // The legend in a row of its own above the bars, which fill the plot.
    placeLegendAbove(m_chart);
    m_chart->legend->setVisible(false);
    m_features->setObjectName(QStringLiteral("methods.features"));
    m_features->setModel(m_featureModel);
    m_features->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_features->setSelectionMode(QAbstractItemView::NoSelection);  // follows the hub only
    m_features->setFocusPolicy(Qt::NoFocus);
    m_features->verticalHeader()->setDefaultSectionSize(m_features->fontMetrics().height() + 6);
    m_features->setToolTip(tr("The features each method selects on all items, best first"));

    // Groups that reflow into more lines in a narrow dock instead of making it scroll sideways.
    auto *settings = new FlowLayout(nullptr, 12, 3);
    settings->addGroup({new QLabel(tr("k"), this), m_k});
    settings->addGroup({new QLabel(tr("folds"), this), m_folds});
    settings->addGroup({new QLabel(tr("repeats"), this), m_repeats});
    settings->addGroup({new QLabel(tr("permutations"), this), m_permutations});
    settings->addGroup({m_run, m_cancel});
    settings->addGroup({m_ensembleStrength, m_ensemble});
    settings->addGroup({m_export});

    // The numbers beside the chart: what the bars and bands show, to read and to copy.
    auto *sorted = new QSortFilterProxyModel(this);
    sorted->setSourceModel(m_numbersModel);
    sorted->setSortRole(MethodComparisonModel::SortRole);
    m_numbers->setObjectName(QStringLiteral("methods.numbers"));
    m_numbers->setModel(sorted);
    m_numbers->setSortingEnabled(true);
    m_numbers->sortByColumn(-1, Qt::AscendingOrder);  // the engine's order until clicked
    m_numbers->verticalHeader()->hide();
    m_numbers->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_numbers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_numbers->setAlternatingRowColors(true);
    m_numbers->setWordWrap(false);
    auto *chartAndNumbers = new QSplitter(Qt::Vertical, this);
    chartAndNumbers->setChildrenCollapsible(false);
    chartAndNumbers->addWidget(m_chart);
    chartAndNumbers->addWidget(m_numbers);
    chartAndNumbers->setStretchFactor(0, 3);
    chartAndNumbers->setStretchFactor(1, 2);

    m_ensemble->setObjectName(QStringLiteral("methods.ensemble"));
    m_ensemble->setEnabled(false);
    m_ensemble->setToolTip(
            tr("Steer with the selected method's features together, each moved along its "
               "decoder direction by strength × its spread × its classifier weight (relative to "
               "the largest), towards A; the clamp set goes to the Steering dock (SAE features "
               "only)"));
    m_ensembleStrength->setObjectName(QStringLiteral("methods.ensembleStrength"));
    m_ensembleStrength->setRange(-20.0, 20.0);
    m_ensembleStrength->setSingleStep(0.5);
    m_ensembleStrength->setValue(2.0);
    m_ensembleStrength->setPrefix(QStringLiteral("× "));
    m_ensembleStrength->setToolTip(
            tr("Ensemble strength m: the strongest feature moves m standard deviations"));
    connect(m_ensemble, &QPushButton::clicked, this, [this] {
        const QModelIndex current = m_numbers->currentIndex();
        auto *proxy = static_cast<QSortFilterProxyModel *>(m_numbers->model());
        const int row = current.isValid() ? proxy->mapToSource(current).row() : 0;
        const Status sent = steerWithEnsemble(row, m_ensembleStrength->value());
        if (!sent.isOk()) {
            m_status->setText(sent.message());
        }
    });
    m_export->setObjectName(QStringLiteral("methods.export"));
    m_export->setText(tr("Export"));
    m_export->setIcon(uiIcon(QStringLiteral("export")));
    m_export->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_export->setPopupMode(QToolButton::InstantPopup);
    m_export->setEnabled(false);
    auto *menu = new QMenu(m_export);
    menu->addAction(tr("Numbers as CSV…"), this, [this] { exportDialog(QStringLiteral("csv")); });
    menu->addSeparator();
    for (const QString &format :
         {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
        menu->addAction(tr("Chart as %1…").arg(format.toUpper()), this,
                        [this, format] { exportDialog(format); });
    }
    m_export->setMenu(menu);

    auto *splitter = new AdaptiveSplitter(this);
    splitter->addWidget(chartAndNumbers);
    splitter->addWidget(m_features);
    layOut(settings,
           new EmptyState(tr("No comparison yet"),
                          tr("Compare methods selects k features with each method inside the "
                             "training folds, decodes A vs B on the held-out fold, and compares "
                             "with shuffled labels. It runs the model once, then takes a while: "
                             "watch the progress bar, or cancel."),
                          this),
           splitter, m_progress, m_replication);

    connect(m_run, &QPushButton::clicked, this, &MethodComparisonTab::run);
    connect(m_cancel, &QPushButton::clicked, this, &MethodComparisonTab::cancel);
    connect(m_features, &QTableView::clicked, this, &MethodComparisonTab::onFeatureClicked);
    m_requests->onResult(0, &EngineClient::methodComparisonReady,
                         [this](const MethodComparisonResultPtr &result) { onResult(result); });
    m_requests->onProgress(0, [this](const JobProgress &progress) { onProgress(progress); });
    connect(m_hub, &SelectionHub::annotationChanged, this, [this] { showResult(); });
    connect(m_hub, &SelectionHub::featureSelected, this,
            [this](int feature, const QString &) { showSelection(feature); });
}

void MethodComparisonTab::clearResult()
{
    clearing();
    m_result.reset();
    m_numbersModel->setResult(nullptr);
    m_featureModel->clear();
    m_chart->clearPlottables();
    m_chart->clearItems();
    m_export->setEnabled(false);
    m_ensemble->setEnabled(false);
}

void MethodComparisonTab::showResult(const MethodComparisonResultPtr &result,
                                     const ResultProvenance &computedWith)
{
    restoring(computedWith);
    if (result) {
        const MethodComparisonRequest &s = result->settings;
        setSettings(s.k, s.folds, s.repeats, s.permutations);
    }
    onResult(result);
    updateStale();
}

MethodComparisonTab::~MethodComparisonTab() = default;

void MethodComparisonTab::setSettings(int k, int folds, int repeats, int permutations)
{
    m_k->setValue(k);
    m_folds->setValue(folds);
    m_repeats->setValue(repeats);
    m_permutations->setValue(permutations);
}

MethodComparisonRequest MethodComparisonTab::request() const
{
    MethodComparisonRequest r;
    r.source = m_form->source();
    r.source.factorial = false;
    r.k = m_k->value();
    r.folds = m_folds->value();
    r.repeats = m_repeats->value();
    r.permutations = m_permutations->value();
    return r;
}

void MethodComparisonTab::run()
{
    QString problem = m_form->problem();
    const MethodComparisonRequest r = request();
    if (problem.isEmpty() && (r.source.levelA.isEmpty() || r.source.levelA == r.source.levelB)) {
        problem = tr("The comparison decodes two levels: choose A and B.");
    }
    if (refuse(problem)) {
        return;
    }
    m_progress->setValue(0);
    started(m_engine->compareMethods(r),
            tr("Running the model, then %1 × %2-fold cross-validation and %3 permutations per "
               "method …")
                    .arg(r.repeats)
                    .arg(r.folds)
                    .arg(r.permutations));
}

void MethodComparisonTab::cancel()
{
    m_requests->cancel(0);
}

void MethodComparisonTab::setRunning(bool running)
{
    ContrastTabBase::setRunning(running);
    m_cancel->setEnabled(running);
    m_progress->setVisible(running);
}

void MethodComparisonTab::onProgress(const JobProgress &progress)
{
    if (progress.fraction >= 0) {
        m_progress->setValue(qRound(progress.fraction * 1000));
    }
    if (!progress.message.isEmpty()) {
        m_status->setText(tr("Comparing … %1").arg(progress.message));
    }
}

void MethodComparisonTab::onResult(const MethodComparisonResultPtr &result)
{
    if (!result) {
        return;
    }
    arriving();
    m_result = result;
    m_stack->setCurrentIndex(1);
    m_numbersModel->setResult(result);
    m_numbers->resizeColumnsToContents();
    m_export->setEnabled(true);
    m_ensemble->setEnabled(std::any_of(
            result->rows.begin(), result->rows.end(),
            [](const MethodComparisonRow &row) { return !row.ensembleWeights.empty(); }));
    showResult();
    const MethodComparisonRequest &s = result->settings;
    showSummary(tr("%1 · %2 items · A = %3, B = %4 · k = %5, %6 × %7-fold, %8 permutations")
                        .arg(result->representation)
                        .arg(result->itemCount)
                        .arg(result->sideA, result->sideB)
                        .arg(s.k)
                        .arg(s.repeats)
                        .arg(s.folds)
                        .arg(s.permutations));
    Q_EMIT resultShown();
}

Status MethodComparisonTab::steerWithEnsemble(int row, double strength)
{
    if (!m_result || row < 0 || row >= m_result->rows.size()) {
        return Status::invalidInput(tr("Compare methods first, then choose a method's row."));
    }
    const MethodComparisonRow &r = m_result->rows[row];
    if (r.ensembleWeights.empty()) {
        return Status::invalidInput(tr("%1: ensemble steering needs a comparison of SAE features")
                                            .arg(nameOf(r.method)));
    }
    Result<ClampSet> set =
            ensembleClampSet(tr("ensemble: %1 × %2 (towards %3)")
                                     .arg(nameOf(r.method))
                                     .arg(strength)
                                     .arg(m_result->sideA),
                             r.selectedFeatures, r.ensembleWeights, r.ensembleSds, strength);
    if (!set) {
        return set.status();
    }
    m_hub->setClampSet(set.value());
    m_status->setText(tr("Clamp set \"%1\" (%2 features) is in the Steering dock.")
                              .arg(set->name)
                              .arg(set->clamps.size()));
    return Status::ok();
}

void MethodComparisonTab::showResult()
{
    if (!m_result) {
        return;
    }
    m_chart->clearPlottables();
    m_chart->clearItems();
    m_chart->legend->clearItems();
    const QList<MethodComparisonRow> &rows = m_result->rows;
    const double width = 0.34;
    QVector<double> accuracyKeys;
    QVector<double> accuracy;
    QVector<double> aucKeys;
    QVector<double> auc;
    QVector<double> accuracyMinus;
    QVector<double> accuracyPlus;
    QVector<double> aucMinus;
    QVector<double> aucPlus;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double low = 0.4;
    for (int i = 0; i < rows.size(); ++i) {
        const MethodComparisonRow &row = rows[i];
        const double key = i + 1;
        accuracyKeys << key - width / 2 - 0.01;
        aucKeys << key + width / 2 + 0.01;
        accuracy << row.balancedAccuracy;
        auc << row.auc;
        accuracyMinus << row.balancedAccuracy - row.balancedAccuracyLow;
        accuracyPlus << row.balancedAccuracyHigh - row.balancedAccuracy;
        aucMinus << row.auc - row.aucLow;
        aucPlus << row.aucHigh - row.auc;
        ticker->addTick(key, tickName(row.method));
        low = std::min({low, row.nullLow, row.balancedAccuracyLow, row.aucLow});
        // The permutation null's 95% band for this method, behind its bars.
        auto *band = new QCPItemRect(m_chart);
        band->setLayer(QStringLiteral("background"));
        band->topLeft->setCoords(key - 0.45, row.nullHigh);
        band->bottomRight->setCoords(key + 0.45, row.nullLow);
        QColor fill = kNull;
        fill.setAlphaF(0.3);
        band->setBrush(fill);
        band->setPen(Qt::NoPen);
    }
    auto addBars = [&](const QString &name, const QColor &color, const QVector<double> &keys,
                       const QVector<double> &values, const QVector<double> &minus,
                       const QVector<double> &plus) {
        auto *bars = new QCPBars(m_chart->xAxis, m_chart->yAxis);
        bars->setName(name);
        bars->setWidth(width);
        QColor fill = color;
        fill.setAlphaF(0.8);
        bars->setBrush(fill);
        bars->setPen(Qt::NoPen);
        bars->setBaseValue(0);
        bars->setData(keys, values, true);
        auto *errors = new QCPErrorBars(m_chart->xAxis, m_chart->yAxis);
        errors->removeFromLegend();
        errors->setDataPlottable(bars);
        errors->setData(minus, plus);
        errors->setPen(QPen(palette().color(QPalette::Text), 1.2));
        errors->setWhiskerWidth(6);
    };
    addBars(tr("balanced accuracy"), kAccuracy, accuracyKeys, accuracy, accuracyMinus,
            accuracyPlus);
    addBars(tr("AUC"), kAuc, aucKeys, auc, aucMinus, aucPlus);
    // A legend entry for the bands (an empty graph with their fill).
    QCPGraph *bandKey = m_chart->addGraph();
    bandKey->setName(tr("permutation null, 95%"));
    QColor fill = kNull;
    fill.setAlphaF(0.3);
    bandKey->setBrush(fill);
    bandKey->setPen(QPen(fill, 8));
    auto *chance = new QCPItemStraightLine(m_chart);
    chance->point1->setCoords(0, 0.5);
    chance->point2->setCoords(1, 0.5);
    chance->setPen(QPen(QColor(120, 120, 120), 1, Qt::DashLine));

    m_chart->xAxis->setTicker(ticker);
    m_chart->xAxis->setSubTicks(false);
    m_chart->xAxis->setTickLength(0, 3);
    m_chart->xAxis->grid()->setVisible(false);
    m_chart->xAxis->setRange(0.4, rows.size() + 0.6);
    m_chart->yAxis->setLabel(tr("out-of-fold score"));
    m_chart->yAxis->setRange(std::max(0.0, std::floor((low - 0.05) * 10) / 10), 1.05);
    m_chart->legend->setVisible(true);
    m_chart->replot();

    // Selected features: one column per method, best first.
    m_featureModel->clear();
    m_featureModel->setColumnCount(int(rows.size()));
    for (int column = 0; column < rows.size(); ++column) {
        const MethodComparisonRow &row = rows[column];
        auto *header = new QStandardItem(labelOf(row.method));
        header->setToolTip(
                tr("%1: balanced accuracy %2 [%3, %4] · AUC %5 [%6, %7] · null mean %8 · p %9\n"
                   "Its %10 features on all items, best first")
                        .arg(labelOf(row.method))
                        .arg(row.balancedAccuracy, 0, 'f', 3)
                        .arg(row.balancedAccuracyLow, 0, 'f', 3)
                        .arg(row.balancedAccuracyHigh, 0, 'f', 3)
                        .arg(row.auc, 0, 'f', 3)
                        .arg(row.aucLow, 0, 'f', 3)
                        .arg(row.aucHigh, 0, 'f', 3)
                        .arg(row.nullMean, 0, 'f', 3)
                        .arg(row.p, 0, 'g', 2)
                        .arg(row.selectedFeatures.size()));
        m_featureModel->setHorizontalHeaderItem(column, header);
        for (size_t rank = 0; rank < row.selectedFeatures.size(); ++rank) {
            const int feature = row.selectedFeatures[rank];
            const QString label = m_hub->annotation(feature).label;
            auto *item = new QStandardItem(label.isEmpty() ? tr("#%1").arg(feature)
                                                           : tr("#%1 %2").arg(feature).arg(label));
            item->setData(feature, kFeatureRole);
            item->setToolTip(tr("Feature %1: click to select it everywhere").arg(feature));
            m_featureModel->setItem(int(rank), column, item);
        }
    }
    m_features->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    showSelection(m_hub->selectedFeature());
}

void MethodComparisonTab::showSelection(int feature)
{
    // Every cell holding the hub's feature is selected, so agreement between methods shows.
    QItemSelection selection;
    for (int row = 0; row < m_featureModel->rowCount(); ++row) {
        for (int column = 0; column < m_featureModel->columnCount(); ++column) {
            const QModelIndex index = m_featureModel->index(row, column);
            if (index.data(kFeatureRole).isValid() && index.data(kFeatureRole).toInt() == feature) {
                selection.select(index, index);
            }
        }
    }
    m_features->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void MethodComparisonTab::onFeatureClicked(const QModelIndex &index)
{
    if (index.data(kFeatureRole).isValid()) {
        m_hub->selectFeature(index.data(kFeatureRole).toInt(), QStringLiteral("contrast"));
    }
}

Status MethodComparisonTab::exportNumbers(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: compare the methods first"));
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(methodComparisonCsv(*m_result)) < 0 ||
        !file.commit()) {
        return Status::invalidInput(tr("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

Status MethodComparisonTab::exportChart(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: compare the methods first"));
    }
    return exportPlotFigure(m_chart, QSize(720, 420), path);
}

void MethodComparisonTab::exportDialog(const QString &format)
{
    const QString filter = format == QLatin1String("csv")
                                   ? tr("CSV (*.csv)")
                                   : tr("%1 (*.%2)").arg(format.toUpper(), format);
    const QString path = QFileDialog::getSaveFileName(
            this, tr("Export"),
            m_form->promptSet().name + QStringLiteral("-method-comparison.") + format, filter);
    if (path.isEmpty()) {
        return;
    }
    const Status status = format == QLatin1String("csv") ? exportNumbers(path) : exportChart(path);
    m_status->setText(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
}

}  // namespace gyrus::widgets
