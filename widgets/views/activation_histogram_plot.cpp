#include "widgets/views/activation_histogram_plot.h"

#include "widgets/common/plot_style.h"

#include <qcustomplot.h>

#include <cmath>

namespace gyrus::widgets {

ActivationHistogramPlot::ActivationHistogramPlot(QWidget *parent)
    : m_plot(new QCustomPlot(parent))
{
    applyPlotStyle(m_plot);
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    const QColor accent = m_plot->palette().color(QPalette::Highlight);
    m_bars->setPen(Qt::NoPen);
    m_bars->setBrush(accent);
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    m_plot->xAxis->setLabel(QStringLiteral("activation (log scale)"));
    m_plot->yAxis->setLabel(QStringLiteral("tokens"));
    // Ticks at powers of ten, written as plain numbers.
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int power = -6; power <= 6; ++power) {
        ticker->addTick(power, power < 0 ? QString::number(std::pow(10.0, power), 'f', -power)
                                         : QString::number(std::pow(10.0, power), 'f', 0));
    }
    m_plot->xAxis->setTicker(ticker);
    m_plot->setMinimumHeight(110);
}

void ActivationHistogramPlot::setHistogram(const QVector<double> &counts, double log10Low,
                                           double log10High)
{
    const int bins = int(counts.size());
    QVector<double> keys;
    QVector<double> values;
    const double width = bins > 0 ? (log10High - log10Low) / bins : 1;
    int first = bins;
    int last = -1;
    double highest = 0;
    for (int b = 0; b < bins; ++b) {
        keys.append(log10Low + (b + 0.5) * width);
        values.append(counts[b]);
        if (counts[b] > 0) {
            first = qMin(first, b);
            last = b;
            highest = qMax(highest, counts[b]);
        }
    }
    m_bars->setWidth(width * 0.9);
    m_bars->setData(keys, values, true);
    if (last >= 0) {
        m_plot->xAxis->setRange(log10Low + (first - 1) * width, log10Low + (last + 2) * width);
        m_plot->yAxis->setRange(0, highest * 1.08);
    } else {
        m_plot->xAxis->setRange(log10Low, log10High);
        m_plot->yAxis->setRange(0, 1);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int ActivationHistogramPlot::barCount() const
{
    return m_bars->data()->size();
}

double ActivationHistogramPlot::totalCount() const
{
    double total = 0;
    for (auto it = m_bars->data()->constBegin(); it != m_bars->data()->constEnd(); ++it) {
        total += it->value;
    }
    return total;
}

}  // namespace gyrus::widgets
