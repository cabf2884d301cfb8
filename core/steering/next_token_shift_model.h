#pragma once
// The steering dock's next-token table: the likeliest tokens after the prompt, with their
// probability without and with the clamp set.

#include "core/steering/steering_types.h"

#include <QAbstractTableModel>

namespace gyrus {

class NextTokenShiftModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        TokenColumn,
        BeforeColumn,
        AfterColumn,
        ChangeColumn,  ///< after − before, in percentage points
        ColumnCount,
    };

    enum Role
    {
        SortRole = Qt::UserRole,  ///< numbers as numbers (the change by its size)
        ValueRole,                ///< probabilities and the signed change, for export
    };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setShift(const NextTokenShift &shift);

    const NextTokenShift &shift() const { return m_shift; }

private:
    NextTokenShift m_shift;
};

}  // namespace gyrus
