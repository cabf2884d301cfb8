#include "widgets/common/combo_choices.h"

#include <QComboBox>

namespace gyrus::widgets {

void replaceComboItems(QComboBox *combo, const QStringList &items)
{
    const QString current = combo->currentText();
    combo->clear();
    combo->addItems(items);
    const int index = combo->findText(current);
    if (index >= 0) {
        combo->setCurrentIndex(index);
    }
}

void offerContrastSides(QComboBox *sideA, QComboBox *sideB, const QStringList &sides)
{
    replaceComboItems(sideA, sides);
    replaceComboItems(sideB, sides);
    if (sideB->currentIndex() == sideA->currentIndex() && sideB->count() > 1) {
        sideB->setCurrentIndex(sideA->currentIndex() == 0 ? 1 : 0);
    }
}

}  // namespace gyrus::widgets
