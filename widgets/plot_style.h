#pragma once

class QCustomPlot;

namespace gyrus::widgets {

/// Applies the house plot style (aesthetics.md Part B): palette-aware background and axes,
/// light grid, antialiased lines, no chart junk. Every QCustomPlot in Gyrus goes through it so
/// plots look the same in every dock and follow the light/dark palette.
void applyPlotStyle(QCustomPlot *plot);

}  // namespace gyrus::widgets
