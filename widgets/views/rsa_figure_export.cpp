#include "widgets/views/rsa_figure_export.h"

#include "widgets/views/rdm_heatmap_view.h"

#include <QFileInfo>
#include <QFontMetricsF>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <qcustomplot.h>

#include <cmath>
#include <functional>

namespace gyrus::widgets {

namespace {

// Paints onto a device the figure's size in logical units (points for PDF).
using Paint = std::function<bool(QPaintDevice *device)>;

Status paintTo(const QString &path, const QSize &size, const QColor &background, const Paint &paint)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png")) {
        QImage image(size * 2, QImage::Format_ARGB32_Premultiplied);
        image.setDevicePixelRatio(2.0);
        image.fill(background);
        return paint(&image) && image.save(path)
                       ? Status::ok()
                       : Status::internal(QStringLiteral("cannot write %1").arg(path));
    }
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(size);
        svg.setViewBox(QRect(QPoint(0, 0), size));
        svg.setTitle(QFileInfo(path).completeBaseName());
        return paint(&svg) && QFileInfo::exists(path)
                       ? Status::ok()
                       : Status::internal(QStringLiteral("cannot write %1").arg(path));
    }
    if (suffix == QLatin1String("pdf")) {
        QPdfWriter pdf(path);
        pdf.setResolution(72);  // one unit = one point, so the layout matches the screen's
        pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        return paint(&pdf) ? Status::ok()
                           : Status::internal(QStringLiteral("cannot write %1").arg(path));
    }
    return Status::invalidInput(
            QStringLiteral("%1: figures are written as .png, .svg or .pdf").arg(path));
}

}  // namespace

Status exportHeatmapFigure(const QList<const RdmHeatmapView *> &views, const QString &caption,
                           const QString &path)
{
    if (views.isEmpty()) {
        return Status::invalidInput(QStringLiteral("no figure to export"));
    }
    const double panel = 520.0;
    const double margin = 8.0;
    double height = 0.0;
    for (const RdmHeatmapView *view : views) {
        height = std::max(height, view->heightForWidth(panel - 2 * margin));
    }
    const QFontMetricsF metrics(views.front()->font());
    const int captionLines = caption.isEmpty() ? 0 : int(caption.count(QLatin1Char('\n'))) + 1;
    const double captionHeight = captionLines * metrics.lineSpacing();
    const QSize size(int(panel * views.size()),
                     int(std::ceil(height + 2 * margin + captionHeight + (captionLines ? 6 : 0))));
    const QColor background = views.front()->palette().color(QPalette::Window);
    return paintTo(path, size, background, [&](QPaintDevice *device) {
        QPainter painter;
        if (!painter.begin(device)) {
            return false;
        }
        painter.setRenderHint(QPainter::Antialiasing);
        painter.fillRect(QRect(QPoint(0, 0), size), background);
        for (int k = 0; k < views.size(); ++k) {
            views[k]->render(painter,
                             QRectF(k * panel + margin, margin, panel - 2 * margin, height));
        }
        if (!caption.isEmpty()) {
            painter.setPen(views.front()->palette().color(QPalette::WindowText));
            painter.setFont(views.front()->font());
            painter.drawText(QRectF(2 * margin, margin + height + 6, size.width() - 4 * margin,
                                    captionHeight + 2),
                             Qt::AlignLeft | Qt::AlignTop, caption);
        }
        return true;
    });
}

Status exportWidgetFigure(QWidget *widget, const QString &path)
{
    if (!widget || widget->size().isEmpty()) {
        return Status::invalidInput(QStringLiteral("no figure to export"));
    }
    const QSize size = widget->size();
    return paintTo(path, size, widget->palette().color(QPalette::Window),
                   [widget](QPaintDevice *device) {
                       QPainter painter;
                       if (!painter.begin(device)) {
                           return false;
                       }
                       widget->render(&painter, QPoint(), QRegion(),
                                      QWidget::DrawWindowBackground | QWidget::DrawChildren);
                       return true;
                   });
}

Status exportPlotFigure(QCustomPlot *plot, const QSize &size, const QString &path)
{
    return paintTo(
            path, size, plot->palette().color(QPalette::Base), [plot, size](QPaintDevice *device) {
                // toPainter lays the plot out for the size and draws it.
                QCPPainter painter;
                if (!painter.begin(device)) {
                    return false;
                }
                painter.setMode(QCPPainter::pmVectorized, device->devType() != QInternal::Image);
                plot->toPainter(&painter, size.width(), size.height());
                return true;
            });
}

}  // namespace gyrus::widgets
