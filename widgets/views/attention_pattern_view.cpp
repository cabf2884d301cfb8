#include "widgets/views/attention_pattern_view.h"

#include "core/features/token_display.h"
#include "widgets/views/activation_colour_map.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace gyrus::widgets {

namespace {

constexpr int kPad = 4;
constexpr int kMaxLabelWidth = 110;

}  // namespace

AttentionPatternView::AttentionPatternView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void AttentionPatternView::setPattern(const AttentionOutcomePtr &patterns, int layerIndex, int head)
{
    m_patterns = patterns;
    m_layerIndex = layerIndex;
    m_head = head;
    rebuildImage();
    updateGeometry();
    update();
}

void AttentionPatternView::setTokenLabels(bool labels)
{
    m_labels = labels;
    updateGeometry();
    update();
}

void AttentionPatternView::setCaption(const QString &caption)
{
    m_caption = caption;
    update();
}

void AttentionPatternView::setSelected(bool selected)
{
    if (selected != m_selected) {
        m_selected = selected;
        update();
    }
}

void AttentionPatternView::rebuildImage()
{
    m_image = QImage();
    if (!m_patterns || m_layerIndex < 0 || m_layerIndex >= int(m_patterns->patterns.size()) ||
        m_head < 0 || m_head >= m_patterns->heads) {
        return;
    }
    const int n = m_patterns->size();
    m_image = QImage(n, n, QImage::Format_ARGB32);
    const QRgb base = palette().color(QPalette::Base).rgb();
    const QRgb masked = qRgb(qRed(base) * 0.9, qGreen(base) * 0.9, qBlue(base) * 0.9);
    for (int q = 0; q < n; ++q) {
        auto *line = reinterpret_cast<QRgb *>(m_image.scanLine(q));
        for (int k = 0; k < n; ++k) {
            if (k > q) {
                line[k] = masked;  // a causal model never attends to later tokens
                continue;
            }
            const QRgb colour = activationColour(
                    ColourScale::Sequential, m_patterns->weight(m_layerIndex, m_head, q, k), 1.0);
            line[k] = qAlpha(colour) == 0 ? base : colour;
        }
    }
}

int AttentionPatternView::labelWidth() const
{
    if (!m_labels || !m_patterns) {
        return 0;
    }
    const QFontMetrics metrics(font());
    int widest = 0;
    for (const int token : m_patterns->tokens) {
        widest = std::max(widest,
                          metrics.horizontalAdvance(visibleToken(m_patterns->pieces.value(token))));
    }
    return std::min(widest, kMaxLabelWidth) + 2 * kPad;
}

int AttentionPatternView::headerHeight() const
{
    const QFontMetrics metrics(font());
    // The large view writes the key tokens upwards above the columns; a thumbnail its caption.
    return m_labels ? labelWidth() : metrics.height() + 2;
}

QRect AttentionPatternView::matrixRect() const
{
    const int left = labelWidth();
    const int top = headerHeight();
    const int side = std::max(0, std::min(width() - left - kPad, height() - top - kPad));
    return {left, top, side, side};
}

std::pair<int, int> AttentionPatternView::cellAt(const QPoint &position) const
{
    const QRect matrix = matrixRect();
    if (m_image.isNull() || !matrix.contains(position) || matrix.width() == 0) {
        return {-1, -1};
    }
    const int n = m_image.width();
    const int key = std::clamp((position.x() - matrix.left()) * n / matrix.width(), 0, n - 1);
    const int query = std::clamp((position.y() - matrix.top()) * n / matrix.height(), 0, n - 1);
    return {query, key};
}

QString AttentionPatternView::cellText(int query, int key) const
{
    if (m_image.isNull() || query < 0 || key < 0) {
        return {};
    }
    auto piece = [this](int position) {
        return visibleToken(m_patterns->pieces.value(m_patterns->tokens[size_t(position)]))
                .toHtmlEscaped();
    };
    return tr("layer %1 head %2<br>query %3 “%4” → key %5 “%6”<br>weight <b>%7</b>")
            .arg(m_patterns->layers[size_t(m_layerIndex)])
            .arg(m_head)
            .arg(query)
            .arg(piece(query))
            .arg(key)
            .arg(piece(key))
            .arg(key > query ? 0.0 : double(m_patterns->weight(m_layerIndex, m_head, query, key)),
                 0, 'f', 4);
}

QSize AttentionPatternView::sizeHint() const
{
    return m_labels ? QSize(420, 420) : QSize(96, 110);
}

QSize AttentionPatternView::minimumSizeHint() const
{
    return m_labels ? QSize(200, 200) : QSize(56, 70);
}

void AttentionPatternView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QPalette palette = this->palette();
    const QRect matrix = matrixRect();
    if (m_image.isNull()) {
        painter.setPen(palette.color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                         m_labels ? tr("No attention pattern yet.") : QString());
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(matrix, m_image);
    const int n = m_image.width();
    const double cell = double(matrix.width()) / n;
    if (!m_labels) {
        painter.setPen(m_selected ? palette.color(QPalette::Highlight)
                                  : palette.color(QPalette::PlaceholderText));
        QFont captionFont = font();
        captionFont.setBold(m_selected);
        painter.setFont(captionFont);
        painter.drawText(QRect(0, 0, width(), headerHeight()), Qt::AlignCenter, m_caption);
        if (m_selected) {
            painter.setPen(QPen(palette.color(QPalette::Highlight), 2));
            painter.drawRect(matrix.adjusted(-1, -1, 1, 1));
        }
        return;
    }
    // Tokens beside the rows (queries) and, upwards, above the columns (keys), when a cell is
    // tall enough to hold a line.
    const QFontMetrics metrics(font());
    painter.setPen(palette.color(QPalette::Text));
    if (cell >= metrics.height() * 0.8) {
        const int label = labelWidth() - 2 * kPad;
        for (int i = 0; i < n; ++i) {
            const QString piece = metrics.elidedText(
                    visibleToken(m_patterns->pieces.value(m_patterns->tokens[size_t(i)])),
                    Qt::ElideRight, label);
            const int y = matrix.top() + int(i * cell);
            painter.drawText(QRect(kPad, y, label, int(cell) + 1),
                             Qt::AlignRight | Qt::AlignVCenter, piece);
            painter.save();
            painter.translate(
                    matrix.left() + i * cell + (cell + metrics.ascent() - metrics.descent()) / 2,
                    matrix.top() - kPad);
            painter.rotate(-90);
            painter.drawText(0, 0, piece);
            painter.restore();
        }
    } else {
        painter.setPen(palette.color(QPalette::PlaceholderText));
        painter.drawText(QRect(0, 0, width(), matrix.top()), Qt::AlignCenter,
                         tr("%1 tokens: hover a cell to read them").arg(n));
    }
}

void AttentionPatternView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        Q_EMIT clicked();
    }
    QWidget::mousePressEvent(event);
}

bool AttentionPatternView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const auto [query, key] = cellAt(help->pos());
        if (query >= 0) {
            QToolTip::showText(help->globalPos(), cellText(query, key), this);
        } else if (!m_labels && !m_caption.isEmpty()) {
            QToolTip::showText(help->globalPos(), tr("%1: click to enlarge").arg(m_caption), this);
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QWidget::event(event);
}

}  // namespace gyrus::widgets
