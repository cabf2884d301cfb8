#pragma once
// A scatter of a quarter of a million features cannot be drawn point by point on the GUI thread
// (half a second per replot). What the user sees is one disc per occupied screen cell: this keeps
// one point per cell of `cellPixels` x `cellPixels` pixels per group, inside the visible ranges,
// coarsening the cells until at most `maxPoints` remain. Pure data, so it runs on a worker thread.

#include <qcustomplot.h>

#include <vector>

namespace gyrus::widgets {

struct ScatterFrame
{
    QCPRange x;
    QCPRange y;
    int widthPixels = 0;
    int heightPixels = 0;
};

/// Per group, the kept points sorted by key (x). Points outside the frame, non-finite ones and
/// groups outside [0, groups) are left out. Cells start at `cellPixels` and double until the
/// total is at most `maxPoints`.
std::vector<QVector<QCPGraphData>> thinScatter(const std::vector<double> &x,
                                               const std::vector<double> &y,
                                               const std::vector<int> &group, int groups,
                                               const ScatterFrame &frame, int cellPixels = 2,
                                               int maxPoints = 20000);

}  // namespace gyrus::widgets
