#pragma once
// Figure export for the RSA dock: heatmaps side by side with a caption, or a QCustomPlot, as PNG
// (2× pixels), SVG (QSvgGenerator) or PDF (vector), chosen by the file's suffix.

#include "core/base/status.h"

#include <QList>
#include <QSize>
#include <QString>

class QCustomPlot;
class QWidget;

namespace gyrus::widgets {

class RdmHeatmapView;

/// Paints `views` in a row (each as the widget paints itself) with `caption` below.
Status exportHeatmapFigure(const QList<const RdmHeatmapView *> &views, const QString &caption,
                           const QString &path);

/// Writes `widget` as it paints itself now (what is on screen, at its size).
Status exportWidgetFigure(QWidget *widget, const QString &path);

/// Writes `plot` at `size` (logical pixels; PNG at twice that).
Status exportPlotFigure(QCustomPlot *plot, const QSize &size, const QString &path);

}  // namespace gyrus::widgets
