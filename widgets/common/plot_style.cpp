#include "widgets/common/plot_style.h"

#include <QPalette>
#include <qcustomplot.h>

#include <algorithm>

namespace gyrus::widgets {

namespace {

// Rewraps a legend placed above its plot to as many columns (up to `most`) as the plot's width
// holds, so a plot in a narrow dock stacks its legend entries instead of asking for their total
// width (which would make the dock scroll sideways). Called before each replot, which lays out
// the legend afterwards.
void rewrapLegend(QCustomPlot *plot, int most)
{
    QCPLegend *legend = plot->legend;
    const int items = legend->itemCount();
    // An empty legend's row would limit the plot's column to the legend's few pixels of
    // margin (a grid's column is no wider than its narrowest element allows): without entries
    // it leaves the layout, and comes back above the axes when it has some.
    const bool placed = legend->layout() == plot->plotLayout();
    if (items == 0 && placed) {
        plot->plotLayout()->take(legend);
        plot->plotLayout()->simplify();
        legend->setVisible(false);
        return;
    }
    if (items > 0 && !placed) {
        plot->plotLayout()->insertRow(0);
        plot->plotLayout()->addElement(0, 0, legend);
        plot->plotLayout()->setRowStretchFactor(0, 0.001);
        legend->setVisible(true);
    }
    if (items == 0) {
        return;
    }
    const QMargins margins = legend->margins();
    const int room = plot->width() - margins.left() - margins.right();
    int columns = std::max(1, std::min(most, items));
    for (; columns > 1; --columns) {
        int width = legend->columnSpacing() * (columns - 1);
        for (int column = 0; column < columns; ++column) {
            int widest = 0;
            for (int i = column; i < items; i += columns) {
                // itemCount() counts the grid's cells: a wrapped grid has empty ones (null).
                if (const QCPAbstractLegendItem *item = legend->item(i)) {
                    widest = std::max(widest, item->minimumOuterSizeHint().width());
                }
            }
            width += widest;
        }
        if (width <= room) {
            break;
        }
    }
    if (columns != legend->wrap()) {
        legend->setWrap(columns);
        legend->setFillOrder(legend->fillOrder(), true);  // re-flows the entries
    }
}

}  // namespace

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
    // The legend rewraps to the width it gets; the plot needs no more than its axes.
    QObject::connect(plot, &QCustomPlot::beforeReplot, plot,
                     [plot, columns] { rewrapLegend(plot, columns); });
    if (plot->minimumWidth() == 0) {
        plot->setMinimumWidth(kPlotMinimumWidth);
    }
}

}  // namespace gyrus::widgets
