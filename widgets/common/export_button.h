#pragma once
// The "Export" button every result view carries: tables as data (CSV, HDF5), plots as figures
// (PNG, SVG, PDF). One helper so every view offers the same formats in the same words.

#include "core/base/status.h"

#include <QList>
#include <QSize>
#include <QString>

#include <functional>

class QAbstractItemModel;
class QCustomPlot;
class QToolButton;
class QWidget;

namespace gyrus::widgets {

struct ExportChoice
{
    QString label;   ///< menu text, e.g. "Table as CSV…"
    QString suffix;  ///< the file name's suffix without the dot
    std::function<Status(const QString &path)> write;
};

/// CSV and HDF5 of every row and column of `model` (core/base/table_export.h); `numberRole` holds
/// each number at full precision.
QList<ExportChoice> tableExportChoices(const QAbstractItemModel *model, int numberRole,
                                       const QString &what);

/// PNG (2× pixels), SVG and PDF of `plot` drawn at `size`.
QList<ExportChoice> plotExportChoices(QCustomPlot *plot, const QSize &size, const QString &what);

/// PNG (2× pixels), SVG and PDF of `widget` as it is drawn on screen (a view that paints
/// itself: the token heatmap, a chart grid).
QList<ExportChoice> widgetExportChoices(QWidget *widget, const QString &what);

/// An "Export" tool button (disabled until enabled by the view) whose menu offers `choices`,
/// separated into groups by empty entries. A choice asks for a file name (`baseName()` plus its
/// suffix), writes, and passes the outcome to `report` (the view's status line).
QToolButton *makeExportButton(QWidget *parent, const QList<QList<ExportChoice>> &groups,
                              std::function<QString()> baseName,
                              std::function<void(const Status &, const QString &path)> report);

}  // namespace gyrus::widgets
