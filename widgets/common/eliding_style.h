#pragma once
// Text that does not fit is elided where it stays recognisable, and the full text is one hover
// away. Factor and level names in combo boxes often share a prefix or a suffix
// ("achievement_positive_long", "achievement_negative_long"), so a combo box that is narrower
// than its text elides it in the middle, not at the end; hovering any combo box, push button or
// tool button whose text is cut shows the whole text as a tooltip (unless it has a tooltip of its
// own).

#include <QComboBox>
#include <QLabel>
#include <QProxyStyle>

class QApplication;

namespace gyrus::widgets {

/// The application style with middle elision in combo boxes (wraps the platform's style).
class ElidingStyle : public QProxyStyle
{
    Q_OBJECT
public:
    using QProxyStyle::QProxyStyle;

    void drawControl(ControlElement element, const QStyleOption *option, QPainter *painter,
                     const QWidget *widget = nullptr) const override;
};

/// A combo box that asks for the width of its longest entry but, when a layout is short of room,
/// shrinks to a few characters and elides its text in the middle (with ElidingStyle) instead of
/// widening its dock.
class ElidingComboBox : public QComboBox
{
    Q_OBJECT
public:
    explicit ElidingComboBox(QWidget *parent = nullptr, int minimumCharacters = 8);

    QSize minimumSizeHint() const override;

private:
    int m_minimumCharacters;
};

/// A one-line label that asks for the width of its text but, when a layout is short of room,
/// shrinks to a few characters and elides its text in the middle; the full text shows on hover.
class ElidingLabel : public QLabel
{
    Q_OBJECT
public:
    explicit ElidingLabel(QWidget *parent = nullptr, int minimumCharacters = 8);

    QSize minimumSizeHint() const override;

    /// The text as painted: text() elided in the middle to the label's width.
    QString shownText() const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    int m_minimumCharacters;
};

/// The text `combo` shows in its field: its current text, elided in the middle to the width of
/// the field (what ElidingStyle paints).
QString shownComboText(const QComboBox *combo);

/// Sets ElidingStyle on `app` and installs the filter that shows the full text of cut-off combo
/// boxes and buttons as a tooltip.
void installElidingStyle(QApplication *app);

}  // namespace gyrus::widgets
