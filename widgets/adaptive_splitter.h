#pragma once

#include <QResizeEvent>
#include <QSplitter>

namespace gyrus::widgets {

/// A two-pane splitter (a plot and its table) that puts the panes side by side when it is much
/// wider than tall and stacks them otherwise, so a dock docked wide and short (beside the log)
/// still shows a readable plot and a table with more than three rows.
class AdaptiveSplitter : public QSplitter
{
public:
    explicit AdaptiveSplitter(QWidget *parent = nullptr)
        : QSplitter(Qt::Vertical, parent)
    {
        setChildrenCollapsible(false);
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        const QSize size = event->size();
        const Qt::Orientation wanted =
                size.width() > 2 * size.height() ? Qt::Horizontal : Qt::Vertical;
        if (wanted != orientation()) {
            setOrientation(wanted);
            const int extent = wanted == Qt::Horizontal ? size.width() : size.height();
            setSizes({extent * 45 / 100, extent * 55 / 100});
        }
        QSplitter::resizeEvent(event);
    }
};

}  // namespace gyrus::widgets
