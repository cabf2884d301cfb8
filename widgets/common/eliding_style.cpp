#include "widgets/common/eliding_style.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QHelpEvent>
#include <QPainter>
#include <QStyleOptionComboBox>
#include <QToolTip>

#include <algorithm>

namespace gyrus::widgets {

namespace {

QRect comboTextRect(const QComboBox *combo, const QStyleOptionComboBox &option)
{
    QRect field = combo->style()->subControlRect(QStyle::CC_ComboBox, &option,
                                                 QStyle::SC_ComboBoxEditField, combo);
    if (!option.currentIcon.isNull()) {
        field.setLeft(field.left() + option.iconSize.width() + 4);
    }
    return field.adjusted(1, 0, -1, 0);  // the margin CE_ComboBoxLabel leaves
}

QStyleOptionComboBox comboOption(const QComboBox *combo)
{
    QStyleOptionComboBox option;
    option.initFrom(combo);
    option.editable = combo->isEditable();
    option.currentText = combo->currentText();
    option.currentIcon = combo->itemIcon(combo->currentIndex());
    option.iconSize = combo->iconSize();
    option.frame = combo->hasFrame();
    return option;
}

// The full text when `widget` shows it cut; empty otherwise.
QString cutText(const QWidget *widget)
{
    if (const auto *combo = qobject_cast<const QComboBox *>(widget)) {
        if (!combo->isEditable() && shownComboText(combo) != combo->currentText()) {
            return combo->currentText();
        }
        return QString();
    }
    if (const auto *label = qobject_cast<const ElidingLabel *>(widget)) {
        return label->shownText() != label->text() ? label->text() : QString();
    }
    if (const auto *button = qobject_cast<const QAbstractButton *>(widget)) {
        // A layout that squeezes a button below its size hint cuts its label ("Expo").
        const QString text = QString(button->text()).remove(QLatin1Char('&'));
        if (!text.isEmpty() && button->width() < button->sizeHint().width()) {
            return text;
        }
    }
    return QString();
}

// Shows the whole text of a cut-off combo box or button on hover.
class CutTextToolTips : public QObject
{
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() != QEvent::ToolTip) {
            return false;
        }
        auto *widget = qobject_cast<QWidget *>(watched);
        if (!widget) {
            return false;
        }
        const QString text = cutText(widget);
        if (text.isEmpty()) {
            return false;
        }
        // The whole text first, then what the widget's own tooltip explains.
        const QString own = widget->toolTip();
        QToolTip::showText(static_cast<QHelpEvent *>(event)->globalPos(),
                           own.isEmpty() ? text : text + QStringLiteral("\n\n") + own, widget);
        return true;
    }
};

}  // namespace

void ElidingStyle::drawControl(ControlElement element, const QStyleOption *option,
                               QPainter *painter, const QWidget *widget) const
{
    const auto *comboOption = qstyleoption_cast<const QStyleOptionComboBox *>(option);
    const auto *combo = qobject_cast<const QComboBox *>(widget);
    if (element == CE_ComboBoxLabel && comboOption && combo && !comboOption->editable) {
        QStyleOptionComboBox elided = *comboOption;
        elided.currentText = shownComboText(combo);
        QProxyStyle::drawControl(element, &elided, painter, widget);
        return;
    }
    QProxyStyle::drawControl(element, option, painter, widget);
}

ElidingComboBox::ElidingComboBox(QWidget *parent, int minimumCharacters)
    : QComboBox(parent)
    , m_minimumCharacters(minimumCharacters)
{
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
}

QSize ElidingComboBox::minimumSizeHint() const
{
    QStyleOptionComboBox option = comboOption(this);
    const QSize text(fontMetrics().horizontalAdvance(QLatin1Char('x')) * m_minimumCharacters,
                     QComboBox::minimumSizeHint().height());
    const QSize least = style()->sizeFromContents(QStyle::CT_ComboBox, &option, text, this);
    return QSize(qMin(least.width(), QComboBox::minimumSizeHint().width()),
                 QComboBox::minimumSizeHint().height());
}

ElidingLabel::ElidingLabel(QWidget *parent, int minimumCharacters)
    : QLabel(parent)
    , m_minimumCharacters(minimumCharacters)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

QSize ElidingLabel::minimumSizeHint() const
{
    const QSize full = QLabel::minimumSizeHint();
    const QMargins margins = contentsMargins();
    const int least = fontMetrics().horizontalAdvance(QLatin1Char('x')) * m_minimumCharacters +
                      margins.left() + margins.right();
    return {std::min(least, full.width()), full.height()};
}

QString ElidingLabel::shownText() const
{
    return fontMetrics().elidedText(text(), Qt::ElideMiddle, contentsRect().width());
}

void ElidingLabel::paintEvent(QPaintEvent *event)
{
    if (shownText() == text()) {
        QLabel::paintEvent(event);
        return;
    }
    QPainter painter(this);
    drawFrame(&painter);
    style()->drawItemText(&painter, contentsRect(),
                          QStyle::visualAlignment(layoutDirection(), alignment()), palette(),
                          isEnabled(), shownText(), foregroundRole());
}

QString shownComboText(const QComboBox *combo)
{
    const QStyleOptionComboBox option = comboOption(combo);
    return combo->fontMetrics().elidedText(combo->currentText(), Qt::ElideMiddle,
                                           comboTextRect(combo, option).width());
}

void installElidingStyle(QApplication *app)
{
    app->setStyle(new ElidingStyle);
    app->installEventFilter(new CutTextToolTips(app));
}

}  // namespace gyrus::widgets
