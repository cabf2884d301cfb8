#pragma once

#include "widgets/views/activation_colour_map.h"

#include <QImage>
#include <QWidget>

namespace gyrus::widgets {

/// A horizontal colour bar with its scale: "0 … max" (or "−max … 0 … +max" for a diverging
/// scale) and a caption saying what is coloured ("feature 812 · max 4.31").
class ColourLegend : public QWidget
{
    Q_OBJECT
public:
    explicit ColourLegend(QWidget *parent = nullptr);

    void setScale(ColourScale scale, double max, const QString &caption);

    double maximum() const { return m_max; }

    QString caption() const { return m_caption; }

    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    QRect barRect() const;

    ColourScale m_scale = ColourScale::Sequential;
    double m_max = 0.0;
    QString m_caption;
    QImage m_bar;  // cached gradient at the bar's size
};

}  // namespace gyrus::widgets
