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

}  // namespace gyrus::widgets
