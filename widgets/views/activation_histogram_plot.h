#pragma once

#include <QVector>

class QCustomPlot;
class QCPBars;
class QWidget;

namespace gyrus::widgets {

/// The feature inspector's activation histogram: token counts per log10-spaced activation bin,
/// as bars on a log activation axis (ticks at powers of ten), in the house plot style.
class ActivationHistogramPlot
{
public:
    explicit ActivationHistogramPlot(QWidget *parent);

    QCustomPlot *widget() const { return m_plot; }

    /// `counts[b]` tokens fell in [10^(low + b·w), 10^(low + (b+1)·w)), w = (high − low)/bins.
    /// The x range is trimmed to the bins that have tokens.
    void setHistogram(const QVector<double> &counts, double log10Low, double log10High);

    /// Bars now shown (tests).
    int barCount() const;
    double totalCount() const;

private:
    QCustomPlot *m_plot;
    QCPBars *m_bars;
};

}  // namespace gyrus::widgets
