#pragma once

#include <QColor>
#include <QPoint>
#include <QString>
#include <QTimer>
#include <QVector>
#include <qcustomplot.h>

#include <memory>
#include <vector>

namespace gyrus::widgets {

/// A scatter plot with one point per feature (the volcano plot, RSA score against max-activation
/// contrast): points fall into groups drawn in their own colour (significant up, down, the rest),
/// the selected feature is ringed, hovering shows the feature and its values, and clicking near
/// a point emits featureClicked. Above kThinnedPoints points, what is drawn is one point per
/// screen cell and group (thinScatter), worked out on a worker thread for the ranges on screen
/// and again after every zoom, pan or resize; hovering, clicking and the ring use every point.
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

    /// Scatters with more points than this are thinned off the GUI thread before drawing.
    static constexpr int kThinnedPoints = 20000;

    explicit FeatureScatterPlot(QWidget *parent = nullptr);
    ~FeatureScatterPlot() override;

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

    int pointCount() const { return static_cast<int>(m_points->features.size()); }

    /// True while the drawn subset of a large scatter is being worked out (the previous one is on
    /// screen meanwhile).
    bool isThinning() const { return m_thinRequested > m_thinApplied; }

Q_SIGNALS:
    void featureClicked(int feature);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Points
    {
        std::vector<int> features;
        std::vector<double> x;
        std::vector<double> y;
        std::vector<int> group;
    };

    void updateHighlight();
    void showToolTip(QMouseEvent *event);
    int indexOf(int feature) const;

    bool isLarge() const { return pointCount() > kThinnedPoints; }

    void scheduleThinning();
    void startThinning();

    QList<QCPGraph *> m_groupGraphs;
    QCPGraph *m_highlight;
    std::shared_ptr<const Points> m_points = std::make_shared<const Points>();
    int m_highlighted = -1;
    QTimer m_thinTimer;
    quint64 m_thinRequested = 0;
    quint64 m_thinApplied = 0;
};

}  // namespace gyrus::widgets
