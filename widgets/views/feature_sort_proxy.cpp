#include "widgets/views/feature_sort_proxy.h"

#include "core/contrasts/feature_stats_model.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QThreadPool>

#include <utility>

namespace gyrus::widgets {

FeatureSortProxy::FeatureSortProxy(FeatureStatsModel *source, QObject *parent)
    : QAbstractProxyModel(parent)
    , m_stats(source)
{
    QAbstractProxyModel::setSourceModel(source);
    connect(source, &QAbstractItemModel::modelAboutToBeReset, this, [this] { beginResetModel(); });
    connect(source, &QAbstractItemModel::modelReset, this, [this] {
        resetOrder();
        endResetModel();
        // A new table keeps the order the user chose.
        if (m_sortColumn >= 0) {
            sort(m_sortColumn, m_sortOrder);
        }
    });
    connect(source, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &first, const QModelIndex &last, const QList<int> &roles) {
                m_orderCurrent = false;
                // Rows are scattered in the proxy: say every row of those columns changed.
                if (rowCount() > 0) {
                    Q_EMIT dataChanged(index(0, first.column()),
                                       index(rowCount() - 1, last.column()), roles);
                }
            });
    connect(source, &QAbstractItemModel::headerDataChanged, this,
            &QAbstractItemModel::headerDataChanged);
    resetOrder();
}

void FeatureSortProxy::resetOrder()
{
    m_order.clear();
    m_rank.clear();
    m_orderCurrent = false;
    m_applied = m_pending;  // a sort still running was for the old table
}

void FeatureSortProxy::sort(int column, Qt::SortOrder order)
{
    if (m_orderCurrent && column == m_sortColumn && order == m_sortOrder) {
        return;
    }
    m_orderCurrent = true;
    m_sortColumn = column;
    m_sortOrder = order;
    const quint64 generation = ++m_pending;
    if (column < 0) {
        apply(generation, {});
        return;
    }
    FeatureStatsModel::SortKeys keys = m_stats->sortKeys(column);
    if (const auto tie = m_tieColumns.constFind(column);
        tie != m_tieColumns.constEnd() && keys.labels.isEmpty()) {
        keys.ties = m_stats->sortKeys(*tie).numbers;
    }
    if (m_stats->rowCount() <= kAsyncRows) {
        apply(generation, FeatureStatsModel::sortedRows(keys, order));
        return;
    }
    // The worker never dereferences the proxy: the answer goes to the application object (GUI
    // thread), which checks there whether the proxy still exists.
    QPointer<FeatureSortProxy> self(this);
    QThreadPool::globalInstance()->start([self, generation, order, keys = std::move(keys)] {
        std::vector<int> rows = FeatureStatsModel::sortedRows(keys, order);
        QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, generation, rows = std::move(rows)]() mutable {
                    if (self) {
                        self->apply(generation, std::move(rows));
                    }
                },
                Qt::QueuedConnection);
    });
}

void FeatureSortProxy::apply(quint64 generation, std::vector<int> order)
{
    if (generation != m_pending ||
        (!order.empty() && static_cast<int>(order.size()) != m_stats->rowCount())) {
        return;  // a newer sort or a new table came meanwhile
    }
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Persistent indexes (the selection, the current row) follow their source rows.
    const QModelIndexList before = persistentIndexList();
    QList<QPersistentModelIndex> sources;
    for (const QModelIndex &index : before) {
        sources << QPersistentModelIndex(mapToSource(index));
    }
    m_order = std::move(order);
    m_rank.assign(m_order.size(), 0);
    for (size_t row = 0; row < m_order.size(); ++row) {
        m_rank[static_cast<size_t>(m_order[row])] = static_cast<int>(row);
    }
    QModelIndexList after;
    for (const QPersistentModelIndex &source : sources) {
        after << mapFromSource(source);
    }
    changePersistentIndexList(before, after);
    m_applied = generation;
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    Q_EMIT sorted();
}

void FeatureSortProxy::setTieBreak(int column, int tieColumn)
{
    if (m_tieColumns.value(column, -1) == tieColumn) {
        return;
    }
    m_tieColumns.insert(column, tieColumn);
    if (m_sortColumn == column) {
        m_orderCurrent = false;
        sort(m_sortColumn, m_sortOrder);
    }
}

QModelIndex FeatureSortProxy::mapToSource(const QModelIndex &proxyIndex) const
{
    if (!proxyIndex.isValid()) {
        return {};
    }
    const int row = m_order.empty() ? proxyIndex.row() : m_order[size_t(proxyIndex.row())];
    return m_stats->index(row, proxyIndex.column());
}

QModelIndex FeatureSortProxy::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!sourceIndex.isValid()) {
        return {};
    }
    const int row = m_rank.empty() ? sourceIndex.row() : m_rank[size_t(sourceIndex.row())];
    return index(row, sourceIndex.column());
}

QModelIndex FeatureSortProxy::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount()) {
        return {};
    }
    return createIndex(row, column);
}

QModelIndex FeatureSortProxy::parent(const QModelIndex &) const
{
    return {};
}

int FeatureSortProxy::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_stats->rowCount();
}

int FeatureSortProxy::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_stats->columnCount();
}

}  // namespace gyrus::widgets
