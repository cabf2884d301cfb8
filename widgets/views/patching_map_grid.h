#pragma once

#include "core/steering/patching_types.h"

#include <QTableView>

class QStandardItemModel;

namespace gyrus::widgets {

/// The causal-tracing map of activation patching as a layers × positions grid: a row per layer
/// (the site patched there), a column per position (pairs of different lengths lined up at their
/// last token, or their first), each cell the mean fraction of the pairs' logit difference that
/// patching that one activation restores, on the diverging scale from −1 (blue) through 0 to +1
/// (red). The tooltip gives the mean, its confidence interval and the number of pairs; a column
/// header names the token most pairs have there.
class PatchingMapGrid : public QTableView
{
    Q_OBJECT
public:
    explicit PatchingMapGrid(QWidget *parent = nullptr);

    void setOutcome(const PatchingOutcomePtr &outcome);

    PatchingOutcomePtr outcome() const { return m_outcome; }

    /// Display text = the mean (2 decimals); Qt::UserRole = the mean at full precision.
    QStandardItemModel *gridModel() const { return m_model; }

    /// "layer N" from blocks.N.hook_<site>.
    static QString rowName(const QString &hook);

Q_SIGNALS:
    /// A cell was clicked (layer = row, column as in PatchingMap).
    void cellPicked(int layer, int column);

private:
    PatchingOutcomePtr m_outcome;
    QStandardItemModel *m_model;
};

}  // namespace gyrus::widgets
