#pragma once
// Filling combo boxes whose choices follow a changing list without losing the user's choice: the
// hooks of a newly loaded model, the two sides of the open prompt set's contrast.

#include <QStringList>

class QComboBox;

namespace gyrus::widgets {

/// Replaces `combo`'s items with `items`, keeping its current text when the new items have it.
void replaceComboItems(QComboBox *combo, const QStringList &items);

/// Offers `sides` (contrastSides() of a prompt set) in both boxes, keeping each choice when it
/// is still there, and B on another side than A when there are two.
void offerContrastSides(QComboBox *sideA, QComboBox *sideB, const QStringList &sides);

}  // namespace gyrus::widgets
