#include "widgets/common/status_line.h"

#include <QColor>
#include <QLabel>
#include <QPalette>

namespace gyrus::widgets {

void showStatusLine(QLabel *label, const QString &text, bool error)
{
    label->setText(text);
    label->setForegroundRole(error ? QPalette::Text : QPalette::PlaceholderText);
    QPalette palette = label->palette();
    if (error) {
        palette.setColor(QPalette::Text, QColor(0xb0, 0x20, 0x20));
    }
    label->setPalette(palette);
}

}  // namespace gyrus::widgets
