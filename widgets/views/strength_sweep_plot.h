#pragma once
// The steering dock's strength sweep chart: log-probability of the tracked token (left axis) and
// KL(baseline ‖ steered) (right axis) against the swept clamp value.

#include "core/steering/steering_types.h"

#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QTimer;

namespace gyrus::widgets {

class StrengthSweepPlot : public QWidget
{
    Q_OBJECT
public:
    explicit StrengthSweepPlot(QWidget *parent = nullptr);

    /// Starts an empty chart for a sweep tracking `targetLabel` ("" until the engine says).
    void clear();
    void addPoint(const StrengthSweepPoint &point);
    void setResult(const StrengthSweepResult &result);

    int pointCount() const;

    /// The sweep on screen: the finished result, or the points so far.
    const StrengthSweepResult &result() const { return m_result; }

    QCustomPlot *plot() const { return m_plot; }

private:
    QCustomPlot *m_plot;
    QCPGraph *m_logProbability;
    QCPGraph *m_kl;
    QTimer *m_replot;
    StrengthSweepResult m_result;
};

}  // namespace gyrus::widgets
