#include "widgets/plot_style.h"

#include <QPalette>
#include <qcustomplot.h>

namespace gyrus::widgets {

void applyPlotStyle(QCustomPlot *plot)
{
    const QPalette palette = plot->palette();
    const QColor background = palette.color(QPalette::Base);
    const QColor foreground = palette.color(QPalette::Text);
    QColor grid = foreground;
    grid.setAlphaF(0.12);

    plot->setBackground(background);
    plot->setAntialiasedElements(QCP::aePlottables);
    plot->setNoAntialiasingOnDrag(true);
    for (QCPAxis *axis : plot->axisRect()->axes()) {
        axis->setBasePen(QPen(foreground, 1));
        axis->setTickPen(QPen(foreground, 1));
        axis->setSubTickPen(QPen(foreground, 1));
        axis->setTickLabelColor(foreground);
        axis->setLabelColor(foreground);
        axis->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    plot->xAxis2->setVisible(false);
    plot->yAxis2->setVisible(false);
    plot->legend->setBrush(background);
    plot->legend->setTextColor(foreground);
    plot->legend->setBorderPen(Qt::NoPen);
}

void placeLegendAbove(QCustomPlot *plot, int columns)
{
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, plot->legend);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);  // as tall as its text, no more
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setWrap(columns);
    plot->legend->setMargins(QMargins(4, 2, 4, 0));
}

}  // namespace gyrus::widgets
