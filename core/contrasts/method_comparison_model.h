#pragma once
// The Method comparison tab's numbers beside its chart: one row per selection method with its
// cross-validated balanced accuracy and AUC (mean and 95% interval over repeats), the
// label-permutation null (mean and 95% band) and p.

#include "core/contrasts/contrast_requests.h"

#include <QAbstractTableModel>
#include <QByteArray>

namespace gyrus {

class MethodComparisonModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        MethodColumn,
        AccuracyColumn,
        AccuracyIntervalColumn,
        AucColumn,
        AucIntervalColumn,
        NullMeanColumn,
        NullBandColumn,
        PColumn,
        ColumnCount,
    };

    enum Role
    {
        SortRole = Qt::UserRole,  ///< numbers as numbers
    };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setResult(const MethodComparisonResultPtr &result);

    const MethodComparisonResultPtr &result() const { return m_result; }

private:
    MethodComparisonResultPtr m_result;
};

/// Every number of `result` as CSV (full precision, one row per method, the settings in leading
/// '#' comment lines), for a spreadsheet or a notebook.
QByteArray methodComparisonCsv(const MethodComparisonResult &result);

}  // namespace gyrus
