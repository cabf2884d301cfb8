#pragma once
// The steering dock's clamp table: a view of SelectionHub's clamp set (the one source of truth).
// Edits made through the model go straight to the hub; hub changes made anywhere (click-to-clamp
// in another dock, a loaded workspace) show up here.

#include "core/steering/clamp_set.h"
#include "core/steering/steering_types.h"

#include <QAbstractTableModel>
#include <QHash>

namespace gyrus {

class SelectionHub;

class ClampSetModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        EnabledColumn,
        FeatureColumn,  ///< "#412" and the hub's label
        ModeColumn,
        ValueColumn,
        PositionsColumn,
        RangeColumn,  ///< observed range on the current prompt
        ColumnCount,
    };

    enum Role
    {
        FeatureRole = Qt::UserRole,  ///< int: the row's feature
    };

    explicit ClampSetModel(SelectionHub *hub, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    /// Mode and positions take their names ("scale", "prompt"), value a number, enabled a
    /// Qt::CheckState.
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    /// The clamp shown in `row` (a default one outside the table).
    FeatureClamp clampAt(int row) const;
    int rowOf(int feature) const;

    /// What the features were observed to take (on the prompt, later also the corpus); shown in
    /// the range column and used by the value editor.
    void setRanges(const FeatureRanges &ranges);
    std::optional<FeatureRange> rangeOf(int feature) const;

private:
    void onClampSetChanged(const ClampSet &set);
    void replaceClamp(int row, const FeatureClamp &clamp);

    SelectionHub *m_hub;
    QList<FeatureClamp> m_rows;  // copy of the hub's clamps, for row bookkeeping
    QHash<int, FeatureRange> m_ranges;
};

}  // namespace gyrus
