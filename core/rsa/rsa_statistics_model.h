#pragma once

#include "core/rsa/rsa_requests.h"

#include <QAbstractTableModel>

#include <memory>

namespace gyrus {

/// The RSA dock's statistics table: one row per model RDM with the comparison statistic, its
/// item-permutation p and bootstrap CI, and, with an intervention, the clamped statistic and its
/// change. A read-only view of an RsaResult snapshot (aesthetics.md B4: no item widgets for
/// engine data).
class RsaStatisticsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Model,
        Statistic,
        PValue,
        Interval,
        Clamped,  ///< only with an intervention
        Change,   ///< only with an intervention
    };

    using QAbstractTableModel::QAbstractTableModel;

    void setResult(std::shared_ptr<const RsaResult> result);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    /// A statistic with 3 decimals, "–" when not finite.
    static QString formatNumber(double value, int digits = 3);
    /// A p-value: 3 decimals, or 2 significant digits below 0.001; "–" when not finite.
    static QString formatP(double p);

private:
    std::shared_ptr<const RsaResult> m_result;
};

}  // namespace gyrus
