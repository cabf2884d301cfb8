#include "widgets/common/scatter_thinning.h"

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

// One pass at a given cell size: the first point of each (group, cell), in input order.
std::vector<QVector<QCPGraphData>> keepOnePerCell(const std::vector<double> &x,
                                                  const std::vector<double> &y,
                                                  const std::vector<int> &group, int groups,
                                                  const ScatterFrame &frame, int cellPixels,
                                                  size_t *kept)
{
    const int columns = std::max(1, (std::max(1, frame.widthPixels) + cellPixels - 1) / cellPixels);
    const int rows = std::max(1, (std::max(1, frame.heightPixels) + cellPixels - 1) / cellPixels);
    const double xScale = frame.x.size() > 0 ? columns / frame.x.size() : 0.0;
    const double yScale = frame.y.size() > 0 ? rows / frame.y.size() : 0.0;
    std::vector<QVector<QCPGraphData>> out(static_cast<size_t>(std::max(0, groups)));
    std::vector<std::vector<bool>> taken(out.size(),
                                         std::vector<bool>(size_t(columns) * size_t(rows)));
    *kept = 0;
    const size_t n = std::min({x.size(), y.size(), group.size()});
    for (size_t i = 0; i < n; ++i) {
        const int g = group[i];
        if (g < 0 || g >= groups || !std::isfinite(x[i]) || !std::isfinite(y[i]) ||
            !frame.x.contains(x[i]) || !frame.y.contains(y[i])) {
            continue;
        }
        const int column = std::min(columns - 1, int((x[i] - frame.x.lower) * xScale));
        const int row = std::min(rows - 1, int((y[i] - frame.y.lower) * yScale));
        auto &cells = taken[size_t(g)];
        const size_t cell = size_t(row) * size_t(columns) + size_t(column);
        if (cells[cell]) {
            continue;
        }
        cells[cell] = true;
        out[size_t(g)].append(QCPGraphData(x[i], y[i]));
        ++*kept;
    }
    return out;
}

}  // namespace

std::vector<QVector<QCPGraphData>> thinScatter(const std::vector<double> &x,
                                               const std::vector<double> &y,
                                               const std::vector<int> &group, int groups,
                                               const ScatterFrame &frame, int cellPixels,
                                               int maxPoints)
{
    int cell = std::max(1, cellPixels);
    std::vector<QVector<QCPGraphData>> out;
    for (;;) {
        size_t kept = 0;
        out = keepOnePerCell(x, y, group, groups, frame, cell, &kept);
        if (kept <= size_t(std::max(1, maxPoints)) ||
            cell >= std::max(frame.widthPixels, frame.heightPixels)) {
            break;
        }
        cell *= 2;
    }
    for (QVector<QCPGraphData> &points : out) {
        std::sort(points.begin(), points.end(), qcpLessThanSortKey<QCPGraphData>);
    }
    return out;
}

}  // namespace gyrus::widgets
