#pragma once

#include "core/features/attribution_types.h"

#include <QImage>
#include <QWidget>

namespace gyrus::widgets {

/// One attention head's pattern on a prompt: a query × key matrix (rows attend to columns),
/// each cell coloured by its weight on one fixed scale from 0 to 1 (magma, 0 unpainted), the
/// causal mask's cells shaded. As a large view it writes the tokens beside the rows and above
/// the columns; as a thumbnail (the grid of heads) it shows a caption and an outline when
/// selected, and clicking it emits clicked(). Painted from a cached one-pixel-per-cell QImage
/// (scaled without smoothing), so hovering and resizing never recompute colours.
class AttentionPatternView : public QWidget
{
    Q_OBJECT
public:
    explicit AttentionPatternView(QWidget *parent = nullptr);

    /// Shows head `head` of layer index `layerIndex` of `patterns` (null: nothing).
    void setPattern(const AttentionOutcomePtr &patterns, int layerIndex, int head);

    /// Token labels on both axes (the large view) or none (a thumbnail).
    void setTokenLabels(bool labels);
    void setCaption(const QString &caption);
    void setSelected(bool selected);

    int head() const { return m_head; }

    int layerIndex() const { return m_layerIndex; }

    /// The (query, key) cell under a widget position, or (-1, -1).
    std::pair<int, int> cellAt(const QPoint &position) const;
    /// The tooltip of a cell: both tokens and the weight.
    QString cellText(int query, int key) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void clicked();

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRect matrixRect() const;
    int labelWidth() const;
    int headerHeight() const;
    void rebuildImage();

    AttentionOutcomePtr m_patterns;
    int m_layerIndex = -1;
    int m_head = -1;
    bool m_labels = true;
    bool m_selected = false;
    QString m_caption;
    QImage m_image;
};

}  // namespace gyrus::widgets
