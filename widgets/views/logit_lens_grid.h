#pragma once

#include "core/features/attribution_types.h"

#include <QTableView>

class QStandardItemModel;

namespace gyrus::widgets {

/// The logit lens as a layers × positions grid: a row per decoded residual stream (the
/// embeddings first, the model's own output last), a column per prompt token; each cell names
/// the top token that layer predicts next there and is coloured by the probability it gives
/// the token that actually follows (the heatmap's scale from 0 to 1; the last position has
/// none). The tooltip
/// lists the cell's top tokens.
class LogitLensGrid : public QTableView
{
    Q_OBJECT
public:
    explicit LogitLensGrid(QWidget *parent = nullptr);

    void setOutcome(const LogitLensOutcomePtr &outcome);

    LogitLensOutcomePtr outcome() const { return m_outcome; }

    /// The grid's model: display text = the top token (visibleToken), tooltip = the top list.
    QStandardItemModel *gridModel() const { return m_model; }

    /// What a row is called: "embeddings", "layer N" or "output (layer N)".
    static QString rowName(const QString &hook, bool last);

private:
    LogitLensOutcomePtr m_outcome;
    QStandardItemModel *m_model;
};

}  // namespace gyrus::widgets
