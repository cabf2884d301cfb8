#include "widgets/views/mds_scatter_view.h"

#include "widgets/common/colour_maps.h"
#include "widgets/common/plot_style.h"
#include "widgets/views/rsa_figure_export.h"

#include <QMouseEvent>
#include <QResizeEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

MdsScatterView::MdsScatterView(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    applyPlotStyle(m_plot);
    m_plot->xAxis->setLabel(tr("MDS 1"));
    m_plot->yAxis->setLabel(tr("MDS 2"));
    placeLegendAbove(m_plot, 4);
    m_plot->legend->setVisible(true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMouseTracking(true);
    m_plot->installEventFilter(this);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, new QCPTextElement(m_plot, QString()));
}

void MdsScatterView::setPoints(const std::vector<double> &x, const std::vector<double> &y,
                               const QStringList &ids, const QStringList &texts,
                               const QStringList &conditions, const QString &title)
{
    m_x = x;
    m_y = y;
    m_ids = ids;
    m_texts = texts;
    m_conditions = conditions;
    m_legend.clear();
    m_plot->clearGraphs();
    for (const QString &condition : conditions) {
        if (!m_legend.contains(condition)) {
            m_legend << condition;
        }
    }
    for (int c = 0; c < m_legend.size(); ++c) {
        QCPGraph *graph = m_plot->addGraph();
        graph->setName(m_legend[c].isEmpty() ? tr("(no condition)") : m_legend[c]);
        graph->setLineStyle(QCPGraph::lsNone);
        const QColor colour = categoricalColour(c);
        QColor fill = colour;
        fill.setAlphaF(0.75);
        graph->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssCircle, colour.darker(130), fill, 9));
        for (size_t k = 0; k < m_x.size(); ++k) {
            if (m_conditions.value(int(k)) == m_legend[c]) {
                graph->addData(m_x[k], m_y[k]);
            }
        }
    }
    if (auto *text = qobject_cast<QCPTextElement *>(m_plot->plotLayout()->element(0, 0))) {
        text->setText(title);
        text->setTextColor(palette().color(QPalette::WindowText));
    }
    equaliseAxes();
    m_plot->replot();
}

void MdsScatterView::clear()
{
    setPoints({}, {}, {}, {}, {}, QString());
}

void MdsScatterView::equaliseAxes()
{
    if (m_x.empty()) {
        m_plot->xAxis->setRange(-1, 1);
        m_plot->yAxis->setRange(-1, 1);
        return;
    }
    const auto [xMin, xMax] = std::minmax_element(m_x.begin(), m_x.end());
    const auto [yMin, yMax] = std::minmax_element(m_y.begin(), m_y.end());
    const double cx = 0.5 * (*xMin + *xMax);
    const double cy = 0.5 * (*yMin + *yMax);
    const QRect area = m_plot->axisRect()->rect();
    const double w = std::max(1, area.width());
    const double h = std::max(1, area.height());
    // Units per pixel equal on both axes, with a 12 % margin around the points.
    const double span = std::max({*xMax - *xMin, *yMax - *yMin, 1e-9}) * 1.24;
    const double perPixel = span / std::min(w, h);
    m_plot->xAxis->setRange(cx - perPixel * w / 2, cx + perPixel * w / 2);
    m_plot->yAxis->setRange(cy - perPixel * h / 2, cy + perPixel * h / 2);
}

Status MdsScatterView::exportFigure(const QString &path)
{
    const bool onScreen = m_plot->isVisible() && m_plot->width() >= 300 && m_plot->height() >= 200;
    const QSize size = onScreen ? m_plot->size() : QSize(900, 700);
    const QRect previous = m_plot->viewport();
    fitTo(size);
    const Status status = exportPlotFigure(m_plot, size, path);
    fitTo(previous.size());
    return status;
}

void MdsScatterView::fitTo(const QSize &size)
{
    // A hidden widget gets no resize event, so lay the plot out for `size` by hand.
    m_plot->setViewport(QRect(QPoint(0, 0), size));
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
    equaliseAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int MdsScatterView::itemAt(const QPointF &plotPosition, double radius) const
{
    int best = -1;
    double bestDistance = radius;
    for (size_t k = 0; k < m_x.size(); ++k) {
        const double px = m_plot->xAxis->coordToPixel(m_x[k]);
        const double py = m_plot->yAxis->coordToPixel(m_y[k]);
        const double d = std::hypot(px - plotPosition.x(), py - plotPosition.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = int(k);
        }
    }
    return best;
}

QString MdsScatterView::hoverText(int item) const
{
    if (item < 0 || item >= m_ids.size()) {
        return QString();
    }
    return QStringLiteral("<b>%1</b> <i>(%2)</i><br>%3")
            .arg(m_ids[item].toHtmlEscaped(), m_conditions.value(item).toHtmlEscaped(),
                 m_texts.value(item).toHtmlEscaped());
}

bool MdsScatterView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::Resize) {
        fitTo(static_cast<QResizeEvent *>(event)->size());
    }
    if (watched == m_plot && event->type() == QEvent::MouseMove) {
        auto *mouse = static_cast<QMouseEvent *>(event);
        const int item = itemAt(mouse->position());
        if (item >= 0) {
            QToolTip::showText(mouse->globalPosition().toPoint(), hoverText(item), m_plot);
        } else {
            QToolTip::hideText();
        }
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace gyrus::widgets
