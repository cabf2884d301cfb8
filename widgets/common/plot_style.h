#pragma once

class QCustomPlot;

namespace gyrus::widgets {

/// Applies the house plot style (aesthetics.md Part B): palette-aware background and axes,
/// light grid, antialiased lines, no chart junk. Every QCustomPlot in Gyrus goes through it so
/// plots look the same in every dock and follow the light/dark palette.
void applyPlotStyle(QCustomPlot *plot);

/// The least width a plot asks for (its axes and a few ticks): plots shrink with their dock.
constexpr int kPlotMinimumWidth = 160;

/// Moves the plot's legend out of its axis rect into a row of its own above it (entries side
/// by side, at most `columns` to a line, fewer when the plot is narrow), so the legend never
/// covers a curve or a point, whatever the data. Call once, before adding other rows above the
/// axis rect.
void placeLegendAbove(QCustomPlot *plot, int columns = 3);

}  // namespace gyrus::widgets
