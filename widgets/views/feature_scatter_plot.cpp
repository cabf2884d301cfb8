#include "widgets/views/feature_scatter_plot.h"

#include "widgets/common/plot_style.h"
#include "widgets/common/scatter_thinning.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

FeatureScatterPlot::FeatureScatterPlot(QWidget *parent)
    : QCustomPlot(parent)
{
    applyPlotStyle(this);
    placeLegendAbove(this);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_highlight = addGraph();
    m_highlight->setLineStyle(QCPGraph::lsNone);
    // A layer of its own above the points, so the ring is never hidden by them.
    addLayer(QStringLiteral("highlight"), layer(QStringLiteral("main")), QCustomPlot::limAbove);
    m_highlight->setLayer(QStringLiteral("highlight"));
    m_highlight->removeFromLegend();
    setMouseTracking(true);
    connect(this, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        if (event->button() != Qt::LeftButton) {
            return;
        }
        const int feature = featureAt(event->pos());
        if (feature >= 0) {
            Q_EMIT featureClicked(feature);
        }
    });
    connect(this, &QCustomPlot::mouseMove, this, &FeatureScatterPlot::showToolTip);
    m_thinTimer.setSingleShot(true);
    m_thinTimer.setInterval(0);  // after the caller's range changes, once
    connect(&m_thinTimer, &QTimer::timeout, this, &FeatureScatterPlot::startThinning);
    for (QCPAxis *axis : {xAxis, yAxis}) {
        connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] {
            if (isLarge()) {
                scheduleThinning();
            }
        });
    }
}

FeatureScatterPlot::~FeatureScatterPlot() = default;

void FeatureScatterPlot::setPoints(const QList<Group> &groups, const std::vector<int> &features,
                                   const std::vector<double> &x, const std::vector<double> &y,
                                   const std::vector<int> &group)
{
    for (QCPGraph *graph : m_groupGraphs) {
        removeGraph(graph);
    }
    m_groupGraphs.clear();
    auto points = std::make_shared<Points>();
    QCPRange xRange(0, 0);
    QCPRange yRange(0, 0);
    bool any = false;
    for (size_t i = 0; i < features.size() && i < x.size() && i < y.size() && i < group.size();
         ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || group[i] < 0 ||
            group[i] >= groups.size()) {
            continue;
        }
        points->features.push_back(features[i]);
        points->x.push_back(x[i]);
        points->y.push_back(y[i]);
        points->group.push_back(group[i]);
        if (!any) {
            xRange = QCPRange(x[i], x[i]);
            yRange = QCPRange(y[i], y[i]);
            any = true;
        }
        xRange.expand(x[i]);
        yRange.expand(y[i]);
    }
    m_points = points;
    m_thinTimer.stop();
    ++m_thinRequested;  // a subset still being worked out was for the old points
    m_thinApplied = m_thinRequested;
    legend->clearItems();
    for (int g = 0; g < groups.size(); ++g) {
        QCPGraph *graph = addGraph();
        graph->setLineStyle(QCPGraph::lsNone);
        QColor fill = groups[g].color;
        fill.setAlphaF(0.6);
        // ssDisc fills with the pen's colour.
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, fill, groups[g].size));
        graph->setPen(QPen(groups[g].color));
        graph->setName(groups[g].name);
        if (groups[g].name.isEmpty()) {
            graph->removeFromLegend();
        }
        m_groupGraphs.append(graph);
    }
    if (!isLarge()) {
        QList<QVector<double>> keys(groups.size());
        QList<QVector<double>> values(groups.size());
        for (size_t i = 0; i < points->features.size(); ++i) {
            keys[points->group[i]].append(points->x[i]);
            values[points->group[i]].append(points->y[i]);
        }
        for (int g = 0; g < groups.size(); ++g) {
            m_groupGraphs[g]->setData(keys[g], values[g]);
        }
    }
    legend->setVisible(legend->itemCount() > 0);
    if (!isLarge()) {
        rescaleAxes();
    } else if (any) {
        // As rescaleAxes() would, without handing every point to the graphs first.
        for (auto [axis, range] : {std::pair{xAxis, xRange}, std::pair{yAxis, yRange}}) {
            axis->setRange(range.size() > 0 ? range
                                            : QCPRange(range.lower - 0.5, range.upper + 0.5));
        }
    }
    // A little air around the cloud so edge points are not cut by the axes.
    for (QCPAxis *axis : {xAxis, yAxis}) {
        const QCPRange range = axis->range();
        const double pad = std::max(range.size() * 0.05, 1e-6);
        axis->setRange(range.lower - pad, range.upper + pad);
    }
    updateHighlight();
    if (isLarge()) {
        scheduleThinning();
        replot(QCustomPlot::rpQueuedReplot);
    } else {
        replot();
    }
}

void FeatureScatterPlot::resizeEvent(QResizeEvent *event)
{
    QCustomPlot::resizeEvent(event);
    if (isLarge()) {
        scheduleThinning();
    }
}

void FeatureScatterPlot::scheduleThinning()
{
    if (!m_thinTimer.isActive()) {
        ++m_thinRequested;
        m_thinTimer.start();
    }
}

void FeatureScatterPlot::startThinning()
{
    const quint64 generation = m_thinRequested;
    if (!isLarge()) {
        m_thinApplied = generation;  // small scatters hold every point already
        return;
    }
    ScatterFrame frame;
    frame.x = xAxis->range();
    frame.y = yAxis->range();
    // Not laid out yet: assume a generous size (more points kept, never too few).
    frame.widthPixels = std::max(axisRect()->width(), 1200);
    frame.heightPixels = std::max(axisRect()->height(), 800);
    const int groups = static_cast<int>(m_groupGraphs.size());
    QPointer<FeatureScatterPlot> self(this);
    std::shared_ptr<const Points> points = m_points;
    // The worker reads only its copy of the shared points; the answer goes through the
    // application object (GUI thread), which checks there whether the plot still exists.
    QThreadPool::globalInstance()->start([self, generation, frame, groups, points] {
        auto kept = std::make_shared<std::vector<QVector<QCPGraphData>>>(
                thinScatter(points->x, points->y, points->group, groups, frame));
        QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, generation, kept] {
                    if (!self || generation != self->m_thinRequested) {
                        return;  // gone, or a newer range or new points came meanwhile
                    }
                    for (int g = 0; g < self->m_groupGraphs.size() && size_t(g) < kept->size();
                         ++g) {
                        self->m_groupGraphs[g]->data()->set((*kept)[size_t(g)], true);
                    }
                    self->m_thinApplied = generation;
                    self->replot(QCustomPlot::rpQueuedReplot);
                },
                Qt::QueuedConnection);
    });
}

void FeatureScatterPlot::clearPoints()
{
    setPoints({}, {}, {}, {}, {});
}

void FeatureScatterPlot::setHighlightedFeature(int feature)
{
    if (feature == m_highlighted) {
        return;
    }
    m_highlighted = feature;
    updateHighlight();
    replot(QCustomPlot::rpQueuedReplot);
}

void FeatureScatterPlot::updateHighlight()
{
    const QColor ring = palette().color(QPalette::Text);
    m_highlight->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(ring, 2), Qt::NoBrush, 13));
    m_highlight->data()->clear();
    if (const int i = indexOf(m_highlighted); i >= 0) {
        m_highlight->addData(m_points->x[size_t(i)], m_points->y[size_t(i)]);
    }
}

int FeatureScatterPlot::indexOf(int feature) const
{
    const std::vector<int> &features = m_points->features;
    const auto found = std::find(features.begin(), features.end(), feature);
    return found == features.end() ? -1 : static_cast<int>(found - features.begin());
}

QPoint FeatureScatterPlot::pixelOfFeature(int feature) const
{
    const int i = indexOf(feature);
    if (i < 0) {
        return {};
    }
    return QPoint(qRound(xAxis->coordToPixel(m_points->x[size_t(i)])),
                  qRound(yAxis->coordToPixel(m_points->y[size_t(i)])));
}

int FeatureScatterPlot::featureAt(const QPoint &pixel, double radius) const
{
    // In plot coordinates first (cheap), so only the points near the pixel are converted.
    const double x0 = xAxis->pixelToCoord(pixel.x() - radius);
    const double x1 = xAxis->pixelToCoord(pixel.x() + radius);
    const double y0 = yAxis->pixelToCoord(pixel.y() + radius);
    const double y1 = yAxis->pixelToCoord(pixel.y() - radius);
    const QCPRange xs(std::min(x0, x1), std::max(x0, x1));
    const QCPRange ys(std::min(y0, y1), std::max(y0, y1));
    const Points &p = *m_points;
    int best = -1;
    double bestDistance = radius * radius;
    for (size_t i = 0; i < p.features.size(); ++i) {
        if (!xs.contains(p.x[i]) || !ys.contains(p.y[i])) {
            continue;
        }
        const double dx = xAxis->coordToPixel(p.x[i]) - pixel.x();
        const double dy = yAxis->coordToPixel(p.y[i]) - pixel.y();
        const double distance = dx * dx + dy * dy;
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = p.features[i];
        }
    }
    return best;
}

void FeatureScatterPlot::showToolTip(QMouseEvent *event)
{
    const int feature = featureAt(event->pos());
    if (feature < 0) {
        QToolTip::hideText();
        return;
    }
    const auto i = static_cast<size_t>(indexOf(feature));
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("feature %1\n%2 = %3\n%4 = %5")
                               .arg(feature)
                               .arg(xAxis->label())
                               .arg(m_points->x[i], 0, 'g', 3)
                               .arg(yAxis->label())
                               .arg(m_points->y[i], 0, 'g', 3),
                       this);
}

}  // namespace gyrus::widgets
