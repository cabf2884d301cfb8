#include "widgets/common/colour_maps.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace gyrus::widgets {

namespace {

template <size_t N>
QColor interpolate(const std::array<QRgb, N> &anchors, double t)
{
    if (!std::isfinite(t)) {
        return QColor(Qt::gray);
    }
    const double x = std::clamp(t, 0.0, 1.0) * double(N - 1);
    const size_t lower = std::min(N - 2, size_t(std::floor(x)));
    const double w = x - double(lower);
    const QColor a(anchors[lower]);
    const QColor b(anchors[lower + 1]);
    return QColor::fromRgbF(float(a.redF() * (1 - w) + b.redF() * w),
                            float(a.greenF() * (1 - w) + b.greenF() * w),
                            float(a.blueF() * (1 - w) + b.blueF() * w));
}

// viridis(10) as R's viridisLite gives it.
constexpr std::array<QRgb, 10> kViridis = {0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E,
                                           0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725};

// Okabe & Ito (2008).
constexpr std::array<QRgb, 8> kOkabeIto = {0xE69F00, 0x56B4E9, 0x009E73, 0xCC79A7,
                                           0x0072B2, 0xD55E00, 0xF0E442, 0x000000};

}  // namespace

QColor viridis(double t)
{
    return interpolate(kViridis, t);
}

QColor categoricalColour(int index)
{
    return QColor(kOkabeIto[size_t(std::abs(index)) % kOkabeIto.size()]);
}

}  // namespace gyrus::widgets
