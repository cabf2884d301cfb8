#include "core/contrasts/feature_stats_model.h"

#include "core/session/selection_hub.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gyrus {

FeatureStatsModel::FeatureStatsModel(SelectionHub *hub, QObject *parent)
    : QAbstractTableModel(parent)
    , m_hub(hub)
{
    if (hub) {
        connect(hub, &SelectionHub::annotationChanged, this, [this](int feature) {
            if (m_features == 0) {
                return;
            }
            const int first = feature < 0 ? 0 : rowOfFeature(feature);
            const int last = feature < 0 ? m_features - 1 : first;
            if (first >= 0) {
                Q_EMIT dataChanged(index(first, kLabelColumn), index(last, kLabelColumn));
            }
        });
    }
}

void FeatureStatsModel::setColumns(int featureCount, QList<Column> columns)
{
    beginResetModel();
    m_features = qMax(0, featureCount);
    m_columns = std::move(columns);
    endResetModel();
}

void FeatureStatsModel::clear()
{
    setColumns(0, {});
}

int FeatureStatsModel::rowOfFeature(int feature) const
{
    return feature >= 0 && feature < m_features ? feature : -1;
}

FeatureStatsModel::SortKeys FeatureStatsModel::sortKeys(int column) const
{
    SortKeys keys;
    if (column == kLabelColumn) {
        keys.labels.reserve(m_features);
        for (int f = 0; f < m_features; ++f) {
            keys.labels << labelOf(f);
        }
        return keys;
    }
    keys.numbers.resize(static_cast<size_t>(m_features));
    if (column == kFeatureColumn || column < 0 || column - 2 >= m_columns.size()) {
        for (int f = 0; f < m_features; ++f) {
            keys.numbers[static_cast<size_t>(f)] = f;
        }
        return keys;
    }
    const std::vector<double> &values = m_columns[column - 2].values;
    for (int f = 0; f < m_features; ++f) {
        const double value =
                static_cast<size_t>(f) < values.size() ? values[static_cast<size_t>(f)] : NAN;
        // As SortRole: NaN (and blanks) as the lowest value.
        keys.numbers[static_cast<size_t>(f)] = std::isfinite(value) ? value : -HUGE_VAL;
    }
    return keys;
}

std::vector<int> FeatureStatsModel::sortedRows(const SortKeys &keys, Qt::SortOrder order)
{
    const size_t n = keys.labels.isEmpty() ? keys.numbers.size() : size_t(keys.labels.size());
    std::vector<int> rows(n);
    std::iota(rows.begin(), rows.end(), 0);
    const bool ascending = order == Qt::AscendingOrder;
    if (!keys.labels.isEmpty()) {
        std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) {
            const int c = keys.labels[a].localeAwareCompare(keys.labels[b]);
            return ascending ? c < 0 : c > 0;
        });
        return rows;
    }
    const std::vector<double> &v = keys.numbers;
    const std::vector<double> &t = keys.ties;
    const bool tieBreak = t.size() == v.size();
    std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) {
        double x = v[size_t(a)];
        double y = v[size_t(b)];
        if (x == y && tieBreak) {
            x = t[size_t(a)];
            y = t[size_t(b)];
        }
        return ascending ? x < y : x > y;
    });
    return rows;
}

int FeatureStatsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_features;
}

int FeatureStatsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 2 + static_cast<int>(m_columns.size());
}

QString FeatureStatsModel::labelOf(int feature) const
{
    return m_hub ? m_hub->annotation(feature).label : QString();
}

QVariant FeatureStatsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const int feature = index.row();
    const int column = index.column();
    if (role == FeatureRole) {
        return feature;
    }
    if (column == kFeatureColumn) {
        if (role == Qt::DisplayRole || role == SortRole || role == ValueRole) {
            return feature;
        }
        if (role == Qt::TextAlignmentRole) {
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        }
        return {};
    }
    if (column == kLabelColumn) {
        return role == Qt::DisplayRole || role == SortRole ? QVariant(labelOf(feature))
                                                           : QVariant();
    }
    const Column &c = m_columns[column - 2];
    if (static_cast<size_t>(feature) >= c.values.size()) {
        return {};
    }
    const double value = c.values[static_cast<size_t>(feature)];
    switch (role) {
        case SortRole:
            // NaN sorts last whichever way the user sorts: as the lowest value.
            return std::isfinite(value) ? value : -HUGE_VAL;
        case ValueRole:
            return value;
        case Qt::DisplayRole:
            switch (c.format) {
                case Format::Fixed2:
                    return QString::number(value, 'f', 2);
                case Format::Fixed3:
                    return QString::number(value, 'f', 3);
                case Format::Probability:
                    return QString::number(value, 'g', 2);
            }
            return {};
        case Qt::TextAlignmentRole:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return {};
    }
}

QVariant FeatureStatsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        if (section == kFeatureColumn) {
            return tr("Feature");
        }
        if (section == kLabelColumn) {
            return tr("Label");
        }
        return m_columns[section - 2].header;
    }
    if (role == Qt::ToolTipRole) {
        if (section == kLabelColumn) {
            return tr("Your label for the feature (set it in the Features dock)");
        }
        return section >= 2 ? QVariant(m_columns[section - 2].toolTip) : QVariant();
    }
    return {};
}

}  // namespace gyrus
