#pragma once

#include "core/rsa/rdm.h"

#include <QImage>
#include <QStringList>
#include <QWidget>

#include <optional>

namespace gyrus::widgets {

/// An RDM as a heatmap: items in the given order (grouped by condition), lines at the condition
/// boundaries with the condition names beside the rows, a colour legend, and a hover tooltip
/// naming both items and their dissimilarity. Painted from a cached one-pixel-per-cell QImage
/// (scaled without smoothing), so hovering and resizing never recompute colours.
class RdmHeatmapView : public QWidget
{
    Q_OBJECT
public:
    enum class Scale
    {
        Sequential,  ///< viridis from the smallest to the largest off-diagonal value
        Diverging,   ///< blue–white–red, symmetric about 0 (differences)
    };

    explicit RdmHeatmapView(QWidget *parent = nullptr);

    /// `texts` and `conditions` have one entry per item of `rdm` (rows in RDM order).
    void setMatrix(const Rdm &rdm, const QStringList &texts, const QStringList &conditions,
                   Scale scale, const QString &title, const QString &valueName);
    /// Shows `message` instead of a matrix.
    void clear(const QString &message);

    bool hasMatrix() const { return m_rdm.size() > 0; }

    const Rdm &rdm() const { return m_rdm; }

    QString title() const { return m_title; }

    /// Rows where a new condition starts (the first row excluded): where the lines are drawn.
    QList<int> conditionBoundaries() const { return m_boundaries; }

    /// The tooltip for cell (row, column): both items' ids and texts and the value.
    QString hoverText(int row, int column) const;

    /// The cell under a widget position, if any.
    std::optional<std::pair<int, int>> cellAt(const QPoint &position) const;

    /// The colour range of the legend.
    double low() const { return m_low; }

    double high() const { return m_high; }

    /// Paints the whole view (title, matrix, labels, legend) into `target` of `painter`: what
    /// the widget shows, and what figure export writes (PNG, SVG, PDF).
    void render(QPainter &painter, const QRectF &target) const;

    /// The height render() needs for `width` (no blank below the matrix): for figure export.
    double heightForWidth(double width) const;

    QSize minimumSizeHint() const override { return {220, 200}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    struct Layout
    {
        QRectF matrix;
        QRectF legend;
        QRectF title;
        double labelWidth = 0;
    };

    Layout layoutFor(const QRectF &target) const;
    double legendWidth() const;
    double labelWidth() const;
    QColor colourOf(double value) const;

    Rdm m_rdm;
    QStringList m_texts;
    QStringList m_conditions;
    QList<int> m_boundaries;
    Scale m_scale = Scale::Sequential;
    QString m_title;
    QString m_valueName;
    QString m_message;
    double m_low = 0.0;
    double m_high = 1.0;
    QImage m_image;
};

}  // namespace gyrus::widgets
