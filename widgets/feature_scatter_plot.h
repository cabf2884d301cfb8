#pragma once

#include <QColor>
#include <QPoint>
#include <QString>
#include <QVector>
#include <qcustomplot.h>

#include <vector>

namespace gyrus::widgets {

/// A scatter plot with one point per feature (the volcano plot, RSA score against max-activation
/// contrast): points fall into groups drawn in their own colour (significant up, down, the rest),
/// the selected feature is ringed, hovering shows the feature and its values, and clicking near
/// a point emits featureClicked.
class FeatureScatterPlot : public QCustomPlot
{
    Q_OBJECT
public:
    struct Group
    {
        QString name;  ///< legend text; empty: not in the legend
        QColor color;
        double size = 5;
    };

    explicit FeatureScatterPlot(QWidget *parent = nullptr);

    /// Replaces the points: feature features[i] at (x[i], y[i]) in group group[i] (index into
    /// `groups`). Non-finite points are skipped. Rescales the axes.
    void setPoints(const QList<Group> &groups, const std::vector<int> &features,
                   const std::vector<double> &x, const std::vector<double> &y,
                   const std::vector<int> &group);
    void clearPoints();

    /// Rings `feature` (-1: none).
    void setHighlightedFeature(int feature);

    int highlightedFeature() const { return m_highlighted; }

    /// The widget pixel where `feature` is drawn (null QPoint when it is not plotted).
    QPoint pixelOfFeature(int feature) const;

    /// The feature within `radius` pixels of `pixel`, nearest first; -1 when none.
    int featureAt(const QPoint &pixel, double radius = 8) const;

    int pointCount() const { return static_cast<int>(m_features.size()); }

Q_SIGNALS:
    void featureClicked(int feature);

private:
    void updateHighlight();
    void showToolTip(QMouseEvent *event);

    QList<QCPGraph *> m_groupGraphs;
    QCPGraph *m_highlight;
    std::vector<int> m_features;
    std::vector<double> m_x;
    std::vector<double> m_y;
    int m_highlighted = -1;
};

}  // namespace gyrus::widgets
