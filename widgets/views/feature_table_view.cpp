#include "widgets/views/feature_table_view.h"

#include "core/contrasts/feature_stats_model.h"
#include "widgets/views/feature_sort_proxy.h"

#include <QHeaderView>
#include <QSignalBlocker>

#include <algorithm>

namespace gyrus::widgets {

namespace {
constexpr int kFitSampleRows = 100;
}  // namespace

FeatureTableView::FeatureTableView(FeatureStatsModel *model, QWidget *parent)
    : QTableView(parent)
    , m_model(model)
    , m_proxy(new FeatureSortProxy(model, this))
{
    setModel(m_proxy);
    setSortingEnabled(true);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setAlternatingRowColors(true);
    setWordWrap(false);
    verticalHeader()->setVisible(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    horizontalHeader()->setStretchLastSection(false);
    horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    connect(this, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const int feature = index.data(FeatureStatsModel::FeatureRole).toInt();
        Q_EMIT featureClicked(feature);
    });
    // Keyboard navigation selects too.
    connect(this, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT featureClicked(index.data(FeatureStatsModel::FeatureRole).toInt());
    });
}

int FeatureTableView::featureAtRow(int row) const
{
    const QModelIndex index = m_proxy->index(row, 0);
    return index.isValid() ? index.data(FeatureStatsModel::FeatureRole).toInt() : -1;
}

int FeatureTableView::rowOfFeature(int feature) const
{
    const int sourceRow = m_model->rowOfFeature(feature);
    if (sourceRow < 0) {
        return -1;
    }
    return m_proxy->mapFromSource(m_model->index(sourceRow, 0)).row();
}

void FeatureTableView::fitColumns()
{
    const quint64 generation = ++m_fits;
    if (m_proxy->rowCount() > FeatureSortProxy::kAsyncRows) {
        // Sizing a column measures the text of its rows on screen and of a sample of the others
        // (~2.5 ms each at 262k rows, 20 ms for a contrast's eight, as much as the model's reset
        // before it): each column gets a turn of the event loop of its own.
        QMetaObject::invokeMethod(
                this, [this, generation] { fitColumnFrom(0, generation); }, Qt::QueuedConnection);
        return;
    }
    fitColumnsNow();
}

void FeatureTableView::fitColumnsNow()
{
    // The rows on screen and a sample of the others: measuring a thousand rows' text per column
    // (Qt's default) costs more than a frame on the GUI thread.
    verticalHeader()->setResizeContentsPrecision(kFitSampleRows);
    resizeColumnsToContents();
    capLabelColumn();
}

void FeatureTableView::fitColumnFrom(int column, quint64 generation)
{
    if (generation != m_fits || column >= m_proxy->columnCount()) {
        return;
    }
    verticalHeader()->setResizeContentsPrecision(kFitSampleRows);
    resizeColumnToContents(column);  // the width resizeColumnsToContents() gives it
    if (column == FeatureStatsModel::kLabelColumn) {
        capLabelColumn();
    }
    QMetaObject::invokeMethod(
            this, [this, column, generation] { fitColumnFrom(column + 1, generation); },
            Qt::QueuedConnection);
}

void FeatureTableView::capLabelColumn()
{
    // Labels are free text: as wide as the longest, up to a modest cap (empty: just the header).
    const int cap = fontMetrics().horizontalAdvance(QStringLiteral("a longer feature label"));
    const int label = horizontalHeader()->sectionSize(FeatureStatsModel::kLabelColumn);
    horizontalHeader()->resizeSection(FeatureStatsModel::kLabelColumn, std::min(label, cap));
}

void FeatureTableView::setTieBreak(int column, int tieColumn)
{
    m_proxy->setTieBreak(column, tieColumn);
}

void FeatureTableView::showFeature(int feature, bool scroll)
{
    const QSignalBlocker blocker(this);
    const int row = rowOfFeature(feature);
    if (row < 0) {
        clearSelection();
        return;
    }
    const QModelIndex index = m_proxy->index(row, 0);
    const bool autoScroll = hasAutoScroll();
    setAutoScroll(scroll);  // a current-index change scrolls to it otherwise
    selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    setAutoScroll(autoScroll);
    if (scroll) {
        scrollTo(index, QAbstractItemView::PositionAtCenter);
    }
}

}  // namespace gyrus::widgets
