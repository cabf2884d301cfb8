#include "widgets/feature_scatter_plot.h"

#include "widgets/plot_style.h"

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
}

void FeatureScatterPlot::setPoints(const QList<Group> &groups, const std::vector<int> &features,
                                   const std::vector<double> &x, const std::vector<double> &y,
                                   const std::vector<int> &group)
{
    for (QCPGraph *graph : m_groupGraphs) {
        removeGraph(graph);
    }
    m_groupGraphs.clear();
    m_features.clear();
    m_x.clear();
    m_y.clear();
    QList<QVector<double>> keys(groups.size());
    QList<QVector<double>> values(groups.size());
    for (size_t i = 0; i < features.size() && i < x.size() && i < y.size() && i < group.size();
         ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i]) || group[i] < 0 ||
            group[i] >= groups.size()) {
            continue;
        }
        m_features.push_back(features[i]);
        m_x.push_back(x[i]);
        m_y.push_back(y[i]);
        keys[group[i]].append(x[i]);
        values[group[i]].append(y[i]);
    }
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
        graph->setData(keys[g], values[g]);
        if (groups[g].name.isEmpty()) {
            graph->removeFromLegend();
        }
        m_groupGraphs.append(graph);
    }
    legend->setVisible(legend->itemCount() > 0);
    rescaleAxes();
    // A little air around the cloud so edge points are not cut by the axes.
    for (QCPAxis *axis : {xAxis, yAxis}) {
        const QCPRange range = axis->range();
        const double pad = std::max(range.size() * 0.05, 1e-6);
        axis->setRange(range.lower - pad, range.upper + pad);
    }
    updateHighlight();
    replot();
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
    const auto found = std::find(m_features.begin(), m_features.end(), m_highlighted);
    if (found != m_features.end()) {
        const auto i = static_cast<size_t>(found - m_features.begin());
        m_highlight->addData(m_x[i], m_y[i]);
    }
}

QPoint FeatureScatterPlot::pixelOfFeature(int feature) const
{
    const auto found = std::find(m_features.begin(), m_features.end(), feature);
    if (found == m_features.end()) {
        return {};
    }
    const auto i = static_cast<size_t>(found - m_features.begin());
    return QPoint(qRound(xAxis->coordToPixel(m_x[i])), qRound(yAxis->coordToPixel(m_y[i])));
}

int FeatureScatterPlot::featureAt(const QPoint &pixel, double radius) const
{
    int best = -1;
    double bestDistance = radius * radius;
    for (size_t i = 0; i < m_features.size(); ++i) {
        const double dx = xAxis->coordToPixel(m_x[i]) - pixel.x();
        const double dy = yAxis->coordToPixel(m_y[i]) - pixel.y();
        const double distance = dx * dx + dy * dy;
        if (distance <= bestDistance) {
            bestDistance = distance;
            best = m_features[i];
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
    const auto i = static_cast<size_t>(std::find(m_features.begin(), m_features.end(), feature) -
                                       m_features.begin());
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("feature %1\n%2 = %3\n%4 = %5")
                               .arg(feature)
                               .arg(xAxis->label())
                               .arg(m_x[i], 0, 'g', 3)
                               .arg(yAxis->label())
                               .arg(m_y[i], 0, 'g', 3),
                       this);
}

}  // namespace gyrus::widgets
