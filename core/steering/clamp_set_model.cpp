#include "core/steering/clamp_set_model.h"

#include "core/session/selection_hub.h"

#include <cmath>

namespace gyrus {

ClampSetModel::ClampSetModel(SelectionHub *hub, QObject *parent)
    : QAbstractTableModel(parent)
    , m_hub(hub)
    , m_rows(hub->clampSet().clamps)
{
    connect(hub, &SelectionHub::clampSetChanged, this, &ClampSetModel::onClampSetChanged);
    connect(hub, &SelectionHub::annotationChanged, this, [this](int feature) {
        const int row = feature < 0 ? -1 : rowOf(feature);
        if (feature < 0 && !m_rows.isEmpty()) {
            Q_EMIT dataChanged(index(0, FeatureColumn), index(rowCount() - 1, FeatureColumn));
        } else if (row >= 0) {
            Q_EMIT dataChanged(index(row, FeatureColumn), index(row, FeatureColumn));
        }
    });
}

int ClampSetModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ClampSetModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClampSetModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size()) {
        return QVariant();
    }
    const FeatureClamp &clamp = m_rows.at(index.row());
    if (role == FeatureRole) {
        return clamp.feature;
    }
    switch (index.column()) {
        case EnabledColumn:
            if (role == Qt::CheckStateRole) {
                return clamp.enabled ? Qt::Checked : Qt::Unchecked;
            }
            if (role == Qt::ToolTipRole) {
                return tr("Apply this clamp (unchecked entries stay in the set)");
            }
            break;
        case FeatureColumn:
            if (role == Qt::DisplayRole) {
                const QString label = m_hub->annotation(clamp.feature).label;
                return label.isEmpty() ? QStringLiteral("#%1").arg(clamp.feature)
                                       : QStringLiteral("#%1  %2").arg(clamp.feature).arg(label);
            }
            break;
        case ModeColumn:
            if (role == Qt::DisplayRole || role == Qt::EditRole) {
                return clampModeName(clamp.mode);
            }
            if (role == Qt::ToolTipRole) {
                return tr(
                        "clamp: set the activation to the value; scale: multiply it; add: add "
                        "value × the feature's decoder direction");
            }
            break;
        case ValueColumn:
            if (role == Qt::DisplayRole) {
                return QString::number(clamp.value, 'g', 4);
            }
            if (role == Qt::EditRole) {
                return clamp.value;
            }
            if (role == Qt::TextAlignmentRole) {
                return int(Qt::AlignRight | Qt::AlignVCenter);
            }
            break;
        case PositionsColumn:
            if (role == Qt::DisplayRole || role == Qt::EditRole) {
                return clampPositionsName(clamp.positions);
            }
            break;
        case RangeColumn:
            if (role == Qt::DisplayRole) {
                const auto range = rangeOf(clamp.feature);
                return range ? QStringLiteral("%1 … %2")
                                       .arg(range->minimum, 0, 'g', 3)
                                       .arg(range->maximum, 0, 'g', 3)
                             : QString();
            }
            if (role == Qt::ToolTipRole) {
                return tr("Activation range observed on the current prompt (BOS excluded)");
            }
            break;
        default:
            break;
    }
    return QVariant();
}

QVariant ClampSetModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
        case EnabledColumn:
            return tr("On");
        case FeatureColumn:
            return tr("Feature");
        case ModeColumn:
            return tr("Mode");
        case ValueColumn:
            return tr("Value");
        case PositionsColumn:
            return tr("Positions");
        case RangeColumn:
            return tr("Observed");
        default:
            return QVariant();
    }
}

Qt::ItemFlags ClampSetModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    switch (index.column()) {
        case EnabledColumn:
            return flags | Qt::ItemIsUserCheckable;
        case ModeColumn:
        case ValueColumn:
        case PositionsColumn:
            return flags | Qt::ItemIsEditable;
        default:
            return flags;
    }
}

bool ClampSetModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || index.row() >= m_rows.size()) {
        return false;
    }
    FeatureClamp clamp = m_rows.at(index.row());
    switch (index.column()) {
        case EnabledColumn:
            if (role != Qt::CheckStateRole) {
                return false;
            }
            clamp.enabled = value.toInt() == Qt::Checked;
            break;
        case ModeColumn: {
            const auto mode = clampModeFromName(value.toString());
            if (role != Qt::EditRole || !mode) {
                return false;
            }
            clamp.mode = *mode;
            break;
        }
        case ValueColumn: {
            bool ok = false;
            const double number = value.toDouble(&ok);
            if (role != Qt::EditRole || !ok || !std::isfinite(number)) {
                return false;
            }
            clamp.value = number;
            break;
        }
        case PositionsColumn: {
            const auto positions = clampPositionsFromName(value.toString());
            if (role != Qt::EditRole || !positions) {
                return false;
            }
            clamp.positions = *positions;
            break;
        }
        default:
            return false;
    }
    m_hub->addClamp(clamp);  // replaces the entry; onClampSetChanged updates the row
    return true;
}

FeatureClamp ClampSetModel::clampAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : FeatureClamp();
}

int ClampSetModel::rowOf(int feature) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).feature == feature) {
            return row;
        }
    }
    return -1;
}

void ClampSetModel::setRanges(const FeatureRanges &ranges)
{
    for (const FeatureRange &range : ranges.ranges) {
        m_ranges.insert(range.feature, range);
    }
    if (!m_rows.isEmpty()) {
        Q_EMIT dataChanged(index(0, RangeColumn), index(rowCount() - 1, RangeColumn));
    }
}

std::optional<FeatureRange> ClampSetModel::rangeOf(int feature) const
{
    const auto found = m_ranges.constFind(feature);
    if (found == m_ranges.constEnd()) {
        return std::nullopt;
    }
    return *found;
}

void ClampSetModel::onClampSetChanged(const ClampSet &set)
{
    // The same features in the same order: an edit in place keeps the view's selection.
    bool sameRows = set.clamps.size() == m_rows.size();
    for (int row = 0; sameRows && row < m_rows.size(); ++row) {
        sameRows = set.clamps.at(row).feature == m_rows.at(row).feature;
    }
    if (sameRows) {
        for (int row = 0; row < m_rows.size(); ++row) {
            if (set.clamps.at(row) != m_rows.at(row)) {
                replaceClamp(row, set.clamps.at(row));
            }
        }
        return;
    }
    beginResetModel();
    m_rows = set.clamps;
    endResetModel();
}

void ClampSetModel::replaceClamp(int row, const FeatureClamp &clamp)
{
    m_rows[row] = clamp;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

}  // namespace gyrus
