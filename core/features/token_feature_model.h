#pragma once

#include "core/features/token_analysis_types.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace gyrus {

class SelectionHub;

/// The active features of one token, largest first: feature id, the user's label (from the
/// SelectionHub's annotations) and the activation. What the heatmap dock lists for the
/// selected token.
class TokenFeatureModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        FeatureColumn,
        LabelColumn,
        ActivationColumn,
        ColumnCount
    };

    enum Role
    {
        FeatureRole = Qt::UserRole + 1,  ///< int: the feature id (any column)
        ValueRole,                       ///< double: the activation (any column)
    };

    explicit TokenFeatureModel(SelectionHub *hub = nullptr, QObject *parent = nullptr);

    /// Lists `features` (shown in this order).
    void setFeatures(const std::vector<FeatureValue> &features);

    int featureAt(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QPointer<SelectionHub> m_hub;
    std::vector<FeatureValue> m_features;
};

}  // namespace gyrus
