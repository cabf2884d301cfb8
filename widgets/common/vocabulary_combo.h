#pragma once
// Combo boxes of one vocabulary enum (core/base/vocabulary.h): the label shows, the name is the
// item data (what a workspace saves), the enum is what a request gets.

#include "core/base/vocabulary.h"

#include <QComboBox>

#include <initializer_list>

namespace gyrus::widgets {

/// Appends `values` in the given order.
template <typename E>
void addChoices(QComboBox *box, std::initializer_list<E> values)
{
    for (E value : values) {
        box->addItem(labelOf(value), nameOf(value));
    }
}

/// The current item's value; `fallback` when the box is empty.
template <typename E>
E currentChoice(const QComboBox *box, E fallback)
{
    return fromName<E>(box->currentData().toString()).value_or(fallback);
}

/// Selects the item of `name` (an older name selects its value); false when the box lacks it.
template <typename E>
bool selectChoice(QComboBox *box, const QString &name)
{
    const std::optional<E> value = fromName<E>(name);
    const int index = value ? box->findData(nameOf(*value)) : -1;
    if (index >= 0) {
        box->setCurrentIndex(index);
    }
    return index >= 0;
}

}  // namespace gyrus::widgets
