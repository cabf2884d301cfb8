#pragma once

#include <QResizeEvent>
#include <QSplitter>

#include <algorithm>

namespace gyrus::widgets {

/// A two-pane splitter (a plot and its table) that puts the panes side by side when it is much
/// wider than tall and both panes fit, and stacks them otherwise, so a dock docked wide and short
/// (beside the log) still shows a readable plot and a table with more than three rows, and a
/// narrow dock stacks them rather than scrolling sideways. It asks for the stacked minimum size
/// (the widest pane's width), so the layouts around it may make it that narrow.
class AdaptiveSplitter : public QSplitter
{
public:
    /// Side by side once the width is more than `sideBySideAspect` times the height.
    explicit AdaptiveSplitter(QWidget *parent = nullptr, double sideBySideAspect = 2.0)
        : QSplitter(Qt::Vertical, parent)
        , m_sideBySideAspect(sideBySideAspect)
    {
        setChildrenCollapsible(false);
    }

    QSize minimumSizeHint() const override
    {
        int width = 0;
        int height = handleWidth() * std::max(0, count() - 1);
        for (int i = 0; i < count(); ++i) {
            const QSize least = paneMinimum(i);
            width = std::max(width, least.width());
            height += least.height();
        }
        return {width, height};
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        const QSize size = event->size();
        int sideBySide = handleWidth() * std::max(0, count() - 1);
        for (int i = 0; i < count(); ++i) {
            sideBySide += paneMinimum(i).width();
        }
        const Qt::Orientation wanted =
                size.width() > m_sideBySideAspect * size.height() && size.width() >= sideBySide
                        ? Qt::Horizontal
                        : Qt::Vertical;
        if (wanted != orientation()) {
            setOrientation(wanted);
            const int extent = wanted == Qt::Horizontal ? size.width() : size.height();
            setSizes({extent * 45 / 100, extent * 55 / 100});
        }
        QSplitter::resizeEvent(event);
    }

private:
    double m_sideBySideAspect;

    QSize paneMinimum(int index) const
    {
        const QWidget *pane = widget(index);
        return pane->minimumSize().expandedTo(pane->minimumSizeHint());
    }
};

}  // namespace gyrus::widgets
