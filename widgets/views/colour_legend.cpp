#include "widgets/views/colour_legend.h"

#include <QPainter>

#include <algorithm>

namespace gyrus::widgets {

namespace {

constexpr int kBarWidth = 220;
constexpr int kBarHeight = 10;

QString number(double value)
{
    return QString::number(value, 'g', 3);
}

}  // namespace

ColourLegend::ColourLegend(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void ColourLegend::setScale(ColourScale scale, double max, const QString &caption)
{
    if (scale != m_scale) {
        m_bar = QImage();
    }
    m_scale = scale;
    m_max = max;
    m_caption = caption;
    update();
}

QSize ColourLegend::sizeHint() const
{
    const QFontMetrics metrics(font());
    if (m_caption.isEmpty()) {  // compact: a short bar between its two ends
        return {100 + 2 * metrics.horizontalAdvance(QStringLiteral("−00.0")) + 12,
                std::max(kBarHeight, metrics.height()) + 6};
    }
    return {kBarWidth + 2 * metrics.horizontalAdvance(QStringLiteral("−00.0")) + 200,
            std::max(kBarHeight, metrics.height()) + 6};
}

QRect ColourLegend::barRect() const
{
    const QFontMetrics metrics(font());
    const int left = metrics.horizontalAdvance(QStringLiteral("−00.0")) + 6;
    const int high = metrics.horizontalAdvance(QStringLiteral("+000.0")) + 12;
    // The bar gives way to the caption in a narrow dock, down to a still readable length.
    const int caption = m_caption.isEmpty() ? 0 : 180;
    const int width = std::clamp(this->width() - left - high - caption, 40, kBarWidth);
    return {left, (height() - kBarHeight) / 2, width, kBarHeight};
}

void ColourLegend::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    update();
}

void ColourLegend::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QRect bar = barRect();
    if (m_bar.size() != bar.size()) {
        m_bar = colourScaleImage(m_scale, bar.width(), bar.height(), Qt::Horizontal);
    }
    const QColor text = palette().color(QPalette::Text);
    painter.setPen(text);
    const bool diverging = m_scale == ColourScale::Diverging;
    const QString low = diverging ? QStringLiteral("−") + number(m_max) : QStringLiteral("0");
    const QRect lowRect(0, 0, bar.left() - 4, height());
    painter.drawText(lowRect, Qt::AlignRight | Qt::AlignVCenter, low);
    painter.drawImage(bar.topLeft(), m_bar);
    QColor frame = text;
    frame.setAlphaF(0.35);
    painter.setPen(frame);
    painter.drawRect(bar.adjusted(0, 0, -1, -1));
    painter.setPen(text);
    const QString high = (diverging ? QStringLiteral("+") : QString()) + number(m_max);
    const int highLeft = bar.right() + 5;
    painter.drawText(QRect(highLeft, 0, width() - highLeft, height()),
                     Qt::AlignLeft | Qt::AlignVCenter, high);
    const int captionLeft = highLeft + QFontMetrics(font()).horizontalAdvance(high) + 12;
    QColor captionColour = palette().color(QPalette::PlaceholderText);
    painter.setPen(captionColour);
    painter.drawText(
            QRect(captionLeft, 0, width() - captionLeft, height()),
            Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetrics(font()).elidedText(m_caption, Qt::ElideRight, width() - captionLeft));
}

}  // namespace gyrus::widgets
