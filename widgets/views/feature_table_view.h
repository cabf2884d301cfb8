#pragma once

#include <QTableView>

namespace gyrus {
class FeatureStatsModel;
}

namespace gyrus::widgets {

class FeatureSortProxy;

/// A sortable table of a FeatureStatsModel: clicking a row emits featureClicked; showFeature()
/// selects and scrolls to a feature chosen elsewhere without emitting anything.
class FeatureTableView : public QTableView
{
    Q_OBJECT
public:
    explicit FeatureTableView(gyrus::FeatureStatsModel *model, QWidget *parent = nullptr);

    gyrus::FeatureStatsModel *statsModel() const { return m_model; }

    FeatureSortProxy *proxy() const { return m_proxy; }

    /// Selects the feature's row and, with `scroll`, scrolls to it (clears the selection for -1 or
    /// an absent one).
    void showFeature(int feature, bool scroll = true);

    /// Rows equal in `column` are ordered by `tieColumn` (q-values tie in runs, p does not); rows
    /// equal in both, and in any column without a tie-break, by feature id.
    void setTieBreak(int column, int tieColumn);

    /// The feature in view row `row` (after sorting), or -1.
    int featureAtRow(int row) const;

    /// The view row of `feature`, or -1.
    int rowOfFeature(int feature) const;

    /// Sizes the columns to their contents (the label column at most to a modest width); for a
    /// table above FeatureSortProxy::kAsyncRows rows, in the next turn of the event loop.
    void fitColumns();

Q_SIGNALS:
    void featureClicked(int feature);

private:
    void fitColumnsNow();
    // Sizes `column` to its contents and queues the next column (large tables: one column per
    // turn of the event loop); `generation` drops the rest when a newer fit starts.
    void fitColumnFrom(int column, quint64 generation);
    void capLabelColumn();

    gyrus::FeatureStatsModel *m_model;
    FeatureSortProxy *m_proxy;
    quint64 m_fits = 0;
};

}  // namespace gyrus::widgets
