#pragma once
// How every view writes a token piece, so whitespace tokens look the same in the token heatmap,
// the feature matrix, the Features dock's examples and logit tables, the steering next-token
// table and the strength sweep: a space is ␣ (so " the" and "the" differ on screen), a newline
// ↵, a tab ⇥; a carriage return is dropped and an empty piece is ∅.

#include <QString>

namespace gyrus {

QString visibleToken(const QString &piece);

}  // namespace gyrus
