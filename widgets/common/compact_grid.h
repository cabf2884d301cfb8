#pragma once

class QTableView;

namespace gyrus::widgets {

/// The look of the Attribution dock's layer × position grids (logit lens, patching map): read-only
/// cells, one selected at a time, no wrapping, 64-pixel columns that may shrink to 28, and rows of
/// fixed height, one line of the view's font plus `rowPadding` pixels.
void configureCompactGrid(QTableView *view, int rowPadding);

}  // namespace gyrus::widgets
