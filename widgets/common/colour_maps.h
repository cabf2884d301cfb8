#pragma once
// Colour maps for matrices and legends (aesthetics.md Part B: perceptually uniform, readable in
// grey scale and by colour-blind users). Interpolated in sRGB between published anchor colours.
// The diverging blue–white–red map is activation_colour_map.h's ColourScale::Diverging.

#include <QColor>
#include <QList>

namespace gyrus::widgets {

/// Viridis (matplotlib's default): sequential, perceptually uniform. t in [0, 1] (clamped).
QColor viridis(double t);

/// Categorical colours for conditions (Okabe–Ito, colour-blind safe), cycling after 8.
QColor categoricalColour(int index);

}  // namespace gyrus::widgets
