#pragma once
// Colour maps for matrices and legends (aesthetics.md Part B: perceptually uniform, readable in
// grey scale and by colour-blind users). Interpolated in sRGB between published anchor colours.

#include <QColor>
#include <QList>

namespace gyrus::widgets {

/// Viridis (matplotlib's default): sequential, perceptually uniform. t in [0, 1] (clamped).
QColor viridis(double t);

/// A blue–white–red diverging map (ColorBrewer RdBu, reversed): t = 0.5 is white (the centre,
/// e.g. zero change), 0 dark blue (most negative), 1 dark red (most positive).
QColor divergingBlueRed(double t);

/// Categorical colours for conditions (Okabe–Ito, colour-blind safe), cycling after 8.
QColor categoricalColour(int index);

}  // namespace gyrus::widgets
