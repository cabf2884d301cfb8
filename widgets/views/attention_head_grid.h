#pragma once

#include "core/features/attribution_types.h"

#include <QWidget>

class QComboBox;
class QGridLayout;
class QLabel;

namespace gyrus::widgets {

class AttentionPatternView;

/// Attention patterns of a prompt: the chosen layer's heads as a compact grid of thumbnails
/// beside one large view of the chosen head, with the tokens on both axes. Clicking a
/// thumbnail enlarges that head. The outcome may hold one layer (the panel asks for the layer
/// shown, so a 32-layer model's every pattern never sits in memory at once): choosing a layer
/// it lacks emits layerRequested().
class AttentionHeadGrid : public QWidget
{
    Q_OBJECT
public:
    explicit AttentionHeadGrid(QWidget *parent = nullptr);

    void setOutcome(const AttentionOutcomePtr &outcome);

    AttentionOutcomePtr outcome() const { return m_outcome; }

    /// Shows layer index `layerIndex` (into outcome()->layers) with head `head` enlarged.
    void showHead(int layerIndex, int head);

    int layerIndex() const { return m_layerIndex; }

    /// The model layer chosen in the layer box (0 before any outcome).
    int chosenLayer() const;

    int head() const { return m_head; }

    QComboBox *layerBox() const { return m_layerBox; }

    AttentionPatternView *largeView() const { return m_large; }

    const QList<AttentionPatternView *> &thumbnails() const { return m_thumbnails; }

Q_SIGNALS:
    /// The user chose a layer the outcome does not hold: fetch its patterns.
    void layerRequested(int layer);

private:
    void rebuildThumbnails();
    void chooseLayer(int layer);

    AttentionOutcomePtr m_outcome;
    int m_layerIndex = 0;
    int m_head = 0;
    QComboBox *m_layerBox;
    QGridLayout *m_grid;
    QList<AttentionPatternView *> m_thumbnails;
    AttentionPatternView *m_large;
    QLabel *m_caption;
};

}  // namespace gyrus::widgets
