#include "widgets/views/attention_head_grid.h"

#include "widgets/common/adaptive_splitter.h"
#include "widgets/views/attention_pattern_view.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

AttentionHeadGrid::AttentionHeadGrid(QWidget *parent)
    : QWidget(parent)
    , m_layerBox(new QComboBox(this))
    , m_grid(new QGridLayout)
    , m_large(new AttentionPatternView(this))
    , m_caption(new QLabel(this))
{
    m_layerBox->setToolTip(tr("The layer whose heads the grid shows"));
    connect(m_layerBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { chooseLayer(m_layerBox->itemData(index).toInt()); });
    m_grid->setSpacing(4);
    // The thumbnails beside the large pattern where there is room, above it in a narrow dock.
    auto *splitter = new AdaptiveSplitter(this, 1.0);
    auto *gridPane = new QWidget(splitter);
    auto *gridColumn = new QVBoxLayout(gridPane);
    gridColumn->setContentsMargins(0, 0, 0, 0);
    auto *layerRow = new QHBoxLayout;
    layerRow->addWidget(new QLabel(tr("Layer"), this));
    layerRow->addWidget(m_layerBox, 1);
    gridColumn->addLayout(layerRow);
    gridColumn->addLayout(m_grid);
    gridColumn->addStretch(1);
    m_caption->setWordWrap(true);
    auto *largePane = new QWidget(splitter);
    auto *largeColumn = new QVBoxLayout(largePane);
    largeColumn->setContentsMargins(0, 0, 0, 0);
    largeColumn->addWidget(m_caption);
    largeColumn->addWidget(m_large, 1);
    splitter->addWidget(gridPane);
    splitter->addWidget(largePane);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
}

void AttentionHeadGrid::setOutcome(const AttentionOutcomePtr &outcome)
{
    m_outcome = outcome;
    const QSignalBlocker blocker(m_layerBox);
    m_layerBox->clear();
    if (outcome) {
        // Every layer of the model, whichever the outcome holds: the others are fetched on choice.
        std::vector<int> layers = outcome->layers;
        for (int layer = 0; layer < outcome->layerCount; ++layer) {
            if (std::find(layers.begin(), layers.end(), layer) == layers.end()) {
                layers.push_back(layer);
            }
        }
        std::sort(layers.begin(), layers.end());
        for (const int layer : layers) {
            m_layerBox->addItem(tr("layer %1").arg(layer), layer);
        }
    }
    rebuildThumbnails();
    const int layers = outcome ? int(outcome->layers.size()) : 0;
    showHead(std::clamp(m_layerIndex, 0, std::max(0, layers - 1)), m_head);
}

int AttentionHeadGrid::chosenLayer() const
{
    return m_layerBox->currentIndex() < 0 ? 0 : m_layerBox->currentData().toInt();
}

void AttentionHeadGrid::chooseLayer(int layer)
{
    if (!m_outcome) {
        return;
    }
    const auto found = std::find(m_outcome->layers.begin(), m_outcome->layers.end(), layer);
    if (found != m_outcome->layers.end()) {
        showHead(int(found - m_outcome->layers.begin()), m_head);
        return;
    }
    m_caption->setText(tr("Reading layer %1's attention patterns…").arg(layer));
    Q_EMIT layerRequested(layer);
}

void AttentionHeadGrid::rebuildThumbnails()
{
    qDeleteAll(m_thumbnails);
    m_thumbnails.clear();
    const int heads = m_outcome ? m_outcome->heads : 0;
    // A near-square grid: 8 heads in 3 × 3, 32 in 6 × 6.
    const int columns = std::max(1, int(std::ceil(std::sqrt(double(heads)))));
    for (int h = 0; h < heads; ++h) {
        auto *thumbnail = new AttentionPatternView(this);
        thumbnail->setTokenLabels(false);
        thumbnail->setCaption(tr("head %1").arg(h));
        connect(thumbnail, &AttentionPatternView::clicked, this,
                [this, h] { showHead(m_layerIndex, h); });
        m_grid->addWidget(thumbnail, h / columns, h % columns);
        thumbnail->show();  // the layout would show it only after the next event loop turn
        m_thumbnails << thumbnail;
    }
}

void AttentionHeadGrid::showHead(int layerIndex, int head)
{
    if (!m_outcome || m_outcome->layers.empty()) {
        m_large->setPattern(nullptr, -1, -1);
        m_caption->setText(tr("No attention patterns yet: Run on a prompt."));
        return;
    }
    m_layerIndex = std::clamp(layerIndex, 0, int(m_outcome->layers.size()) - 1);
    m_head = std::clamp(head, 0, m_outcome->heads - 1);
    {
        const QSignalBlocker blocker(m_layerBox);
        m_layerBox->setCurrentIndex(m_layerBox->findData(m_outcome->layers[size_t(m_layerIndex)]));
    }
    for (int h = 0; h < m_thumbnails.size(); ++h) {
        m_thumbnails[h]->setPattern(m_outcome, m_layerIndex, h);
        m_thumbnails[h]->setSelected(h == m_head);
    }
    m_large->setPattern(m_outcome, m_layerIndex, m_head);
    m_caption->setText(tr("<b>Layer %1, head %2</b>: each row is a query token, each column a "
                          "key it attends to (rows sum to 1; shaded cells are masked).")
                               .arg(m_outcome->layers[size_t(m_layerIndex)])
                               .arg(m_head));
}

}  // namespace gyrus::widgets
