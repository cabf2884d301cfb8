#pragma once

#include <QLayout>
#include <QList>

#include <initializer_list>

namespace gyrus::widgets {

/// Lays its items out left to right and starts a new line when the next one does not fit, so a
/// form made of several groups ("Factor … A … B", "Hook …", "Read …") takes more lines in a narrow
/// dock instead of widening it. An item too wide for a line of its own shrinks towards its
/// minimum size (elided combo boxes and labels make that small). Reports heightForWidth, so the
/// layouts and scroll areas around it give it the lines it needs.
class FlowLayout : public QLayout
{
public:
    explicit FlowLayout(QWidget *parent = nullptr, int horizontalSpacing = 12,
                        int verticalSpacing = 4);
    ~FlowLayout() override;

    /// Adds `layout` (a group kept on one line) as one item.
    void addLayout(QLayout *layout);

    /// Adds `widgets` side by side as one item (a caption and its box stay together).
    void addGroup(std::initializer_list<QWidget *> widgets);

    void addItem(QLayoutItem *item) override;
    int count() const override;
    QLayoutItem *itemAt(int index) const override;
    QLayoutItem *takeAt(int index) override;
    Qt::Orientations expandingDirections() const override;
    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize minimumSize() const override;
    QSize sizeHint() const override;
    void setGeometry(const QRect &rect) override;

private:
    /// Places the items in `rect` (or only measures when `place` is false); returns the height
    /// they take, margins included.
    int arrange(const QRect &rect, bool place) const;

    QList<QLayoutItem *> m_items;
    int m_horizontalSpacing;
    int m_verticalSpacing;
};

}  // namespace gyrus::widgets
