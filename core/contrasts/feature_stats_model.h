#pragma once
// A table of per-feature statistics (one row per feature): the feature number, the user's label
// for it (SelectionHub annotations), then numeric columns (t, d, p, q; RSA scores; ...). The
// Contrasts dock shows its contrast and its feature-RSA map through it, sorted by
// widgets' FeatureSortProxy (off the GUI thread for large tables).

#include <QAbstractTableModel>
#include <QList>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <vector>

namespace gyrus {

class SelectionHub;

class FeatureStatsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role
    {
        FeatureRole = Qt::UserRole,  ///< int: the row's feature
        SortRole,                    ///< the value to sort by (numbers as double, labels as text)
        ValueRole,                   ///< the number as computed (NaN kept), for export
    };

    /// How a numeric column is written.
    enum class Format
    {
        Fixed2,       ///< 1.23
        Fixed3,       ///< 1.234
        Probability,  ///< 3.1e-05, 0.042 (two significant digits)
    };

    struct Column
    {
        QString header;
        QString toolTip;
        std::vector<double> values;  ///< one per feature
        Format format = Format::Fixed2;
    };

    static constexpr int kFeatureColumn = 0;
    static constexpr int kLabelColumn = 1;

    /// Labels come from `hub` (may be null) and follow its annotationChanged.
    explicit FeatureStatsModel(SelectionHub *hub, QObject *parent = nullptr);

    /// Replaces the table: `featureCount` rows, the feature and label columns, then `columns`
    /// (each with featureCount values; shorter ones show blanks).
    void setColumns(int featureCount, QList<Column> columns);
    void clear();

    int featureCount() const { return m_features; }

    /// Rows are features in order: row f is feature f (-1 when out of range).
    int rowOfFeature(int feature) const;

    /// The rows in the order SortRole gives for `column` (NaN and blanks as the lowest value:
    /// last in a descending sort, first in an ascending one, as QSortFilterProxyModel orders
    /// SortRole; rows equal in `column` ordered by `ties` when given, in the same direction, then
    /// by feature). Reads the
    /// columns directly, not through QVariant, and touches no Qt object: a sort of 262k rows takes
    /// milliseconds and may run on a worker thread, given a copy made by sortKeys().
    struct SortKeys
    {
        std::vector<double> numbers;  ///< numeric and feature columns
        QStringList labels;           ///< the label column
        std::vector<double> ties;     ///< optional tie-break values (numeric columns only)
    };

    SortKeys sortKeys(int column) const;
    static std::vector<int> sortedRows(const SortKeys &keys, Qt::SortOrder order);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QString labelOf(int feature) const;

    QPointer<SelectionHub> m_hub;
    int m_features = 0;
    QList<Column> m_columns;
};

}  // namespace gyrus
