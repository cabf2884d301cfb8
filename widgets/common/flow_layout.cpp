#include "widgets/common/flow_layout.h"

#include <QHBoxLayout>
#include <QWidget>

#include <algorithm>

namespace gyrus::widgets {

FlowLayout::FlowLayout(QWidget *parent, int horizontalSpacing, int verticalSpacing)
    : QLayout(parent)
    , m_horizontalSpacing(horizontalSpacing)
    , m_verticalSpacing(verticalSpacing)
{}

FlowLayout::~FlowLayout()
{
    while (QLayoutItem *item = takeAt(0)) {
        delete item;
    }
}

void FlowLayout::addLayout(QLayout *layout)
{
    addChildLayout(layout);
    addItem(layout);
}

void FlowLayout::addGroup(std::initializer_list<QWidget *> widgets)
{
    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(4);
    for (QWidget *widget : widgets) {
        row->addWidget(widget);
    }
    addLayout(row);
}

void FlowLayout::addItem(QLayoutItem *item)
{
    m_items.append(item);
    invalidate();
}

int FlowLayout::count() const
{
    return static_cast<int>(m_items.size());
}

QLayoutItem *FlowLayout::itemAt(int index) const
{
    return m_items.value(index);
}

QLayoutItem *FlowLayout::takeAt(int index)
{
    if (index < 0 || index >= m_items.size()) {
        return nullptr;
    }
    QLayoutItem *item = m_items.takeAt(index);
    invalidate();
    return item;
}

Qt::Orientations FlowLayout::expandingDirections() const
{
    return {};
}

bool FlowLayout::hasHeightForWidth() const
{
    return true;
}

int FlowLayout::heightForWidth(int width) const
{
    return arrange(QRect(0, 0, width, 0), false);
}

QSize FlowLayout::minimumSize() const
{
    // As narrow as the widest item can shrink; the height is heightForWidth's business.
    QSize least;
    for (const QLayoutItem *item : m_items) {
        if (!item->isEmpty()) {
            least = least.expandedTo(item->minimumSize());
        }
    }
    const QMargins margins = contentsMargins();
    return least + QSize(margins.left() + margins.right(), margins.top() + margins.bottom());
}

QSize FlowLayout::sizeHint() const
{
    // Everything on one line.
    int width = 0;
    int height = 0;
    int shown = 0;
    for (const QLayoutItem *item : m_items) {
        if (item->isEmpty()) {
            continue;
        }
        const QSize hint = item->sizeHint();
        width += hint.width();
        height = std::max(height, hint.height());
        ++shown;
    }
    width += std::max(0, shown - 1) * m_horizontalSpacing;
    const QMargins margins = contentsMargins();
    return {width + margins.left() + margins.right(), height + margins.top() + margins.bottom()};
}

void FlowLayout::setGeometry(const QRect &rect)
{
    QLayout::setGeometry(rect);
    arrange(rect, true);
}

int FlowLayout::arrange(const QRect &rect, bool place) const
{
    const QRect area = rect.marginsRemoved(contentsMargins());

    struct Placed
    {
        QLayoutItem *item;
        int x;
        int width;
        int height;
    };

    QList<Placed> line;
    int y = area.y();
    int lineHeight = 0;
    auto finishLine = [&] {
        if (place) {
            for (const Placed &p : line) {
                // Centred in the line, so a check box sits level with the combo boxes beside it.
                p.item->setGeometry(QRect(p.x, y + (lineHeight - p.height) / 2, p.width, p.height));
            }
        }
        if (!line.isEmpty()) {
            y += lineHeight + m_verticalSpacing;
        }
        line.clear();
        lineHeight = 0;
    };
    int x = area.x();
    for (QLayoutItem *item : m_items) {
        if (item->isEmpty()) {
            continue;
        }
        const QSize hint = item->sizeHint();
        const int least = item->minimumSize().width();
        if (!line.isEmpty() && x + hint.width() > area.right() + 1) {
            finishLine();
            x = area.x();
        }
        const int room = area.right() + 1 - x;
        const int width = std::max(least, std::min(hint.width(), room));
        const int height = item->hasHeightForWidth() ? item->heightForWidth(width) : hint.height();
        line.append({item, x, width, height});
        lineHeight = std::max(lineHeight, height);
        x += width + m_horizontalSpacing;
    }
    finishLine();
    const int used = y - area.y() - (y > area.y() ? m_verticalSpacing : 0);
    const QMargins margins = contentsMargins();
    return used + margins.top() + margins.bottom();
}

}  // namespace gyrus::widgets
