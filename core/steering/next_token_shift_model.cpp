#include "core/steering/next_token_shift_model.h"

#include "core/features/token_display.h"

#include <cmath>

namespace gyrus {

int NextTokenShiftModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_shift.tokens.size());
}

int NextTokenShiftModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant NextTokenShiftModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_shift.tokens.size()) {
        return QVariant();
    }
    const TokenShift &token = m_shift.tokens.at(index.row());
    const double change = token.probabilityAfter - token.probabilityBefore;
    if (role == ValueRole && index.column() == ChangeColumn) {
        return change;
    }
    if (role == SortRole || role == ValueRole) {
        switch (index.column()) {
            case TokenColumn:
                return token.piece;
            case BeforeColumn:
                return token.probabilityBefore;
            case AfterColumn:
                return token.probabilityAfter;
            case ChangeColumn:
                return std::abs(change);  // the largest shifts first, either way
            default:
                return QVariant();
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != TokenColumn) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole) {
        return QStringLiteral("token %1 '%2'").arg(token.id).arg(token.piece);
    }
    if (role != Qt::DisplayRole) {
        return QVariant();
    }
    switch (index.column()) {
        case TokenColumn:
            return visibleToken(token.piece);
        case BeforeColumn:
            return QStringLiteral("%1%").arg(100.0 * token.probabilityBefore, 0, 'f', 1);
        case AfterColumn:
            return QStringLiteral("%1%").arg(100.0 * token.probabilityAfter, 0, 'f', 1);
        case ChangeColumn:
            return QStringLiteral("%1%2 pp")
                    .arg(change >= 0 ? QStringLiteral("+") : QString())
                    .arg(100.0 * change, 0, 'f', 1);
        default:
            return QVariant();
    }
}

QVariant NextTokenShiftModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == ChangeColumn) {
        return tr(
                "Steered minus baseline probability, in percentage points (pp); sorts by its "
                "size");
    }
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    switch (section) {
        case TokenColumn:
            return tr("Next token");
        case BeforeColumn:
            return tr("Baseline");
        case AfterColumn:
            return tr("Steered");
        case ChangeColumn:
            return tr("Change (pp)");
        default:
            return QVariant();
    }
}

void NextTokenShiftModel::setShift(const NextTokenShift &shift)
{
    beginResetModel();
    m_shift = shift;
    endResetModel();
}

}  // namespace gyrus
