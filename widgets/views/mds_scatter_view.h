#pragma once

#include "core/base/status.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QCustomPlot;

namespace gyrus::widgets {

/// The items in the plane of a 2-D MDS embedding, one colour per condition with a legend; hover
/// shows the item under the cursor. Axes are equal-scaled (distances read the same in x and y).
class MdsScatterView : public QWidget
{
    Q_OBJECT
public:
    explicit MdsScatterView(QWidget *parent = nullptr);

    /// One point per item; `ids`, `texts` and `conditions` per item too.
    void setPoints(const std::vector<double> &x, const std::vector<double> &y,
                   const QStringList &ids, const QStringList &texts, const QStringList &conditions,
                   const QString &title);
    void clear();

    QCustomPlot *plot() const { return m_plot; }

    /// Writes the plot (PNG, SVG or PDF by suffix) at its on-screen size, or at 900 × 700 when it
    /// has none yet, with equal axis scales at that size.
    Status exportFigure(const QString &path);

    /// The item nearest to a widget position of the plot within `radius` pixels, or -1.
    int itemAt(const QPointF &plotPosition, double radius = 8.0) const;
    /// The tooltip for item k: id, condition, text.
    QString hoverText(int item) const;

    /// Conditions in legend order.
    QStringList legendConditions() const { return m_legend; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void equaliseAxes();
    void fitTo(const QSize &size);

    QCustomPlot *m_plot;
    std::vector<double> m_x;
    std::vector<double> m_y;
    QStringList m_ids;
    QStringList m_texts;
    QStringList m_conditions;
    QStringList m_legend;
};

}  // namespace gyrus::widgets
