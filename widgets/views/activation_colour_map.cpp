#include "widgets/views/activation_colour_map.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace gyrus::widgets {

namespace {

// Matplotlib's magma sampled at 1/8 steps (d3-scale-chromatic's stops); linear interpolation
// between them stays within a few ΔE of the full 256-entry table.
constexpr std::array<QRgb, 9> kMagma{0xff000004, 0xff1c1044, 0xff4f127b, 0xff812581, 0xffb5367a,
                                     0xffe55064, 0xfffb8761, 0xfffec287, 0xfffcfdbf};

// ColorBrewer RdBu (reversed so that positive is red), 11 classes: a diverging map with matched
// lightness on both sides of the neutral centre.
constexpr std::array<QRgb, 11> kRdBu{0xff053061, 0xff2166ac, 0xff4393c3, 0xff92c5de,
                                     0xffd1e5f0, 0xfff7f7f7, 0xfffddbc7, 0xfff4a582,
                                     0xffd6604d, 0xffb2182b, 0xff67001f};

template <size_t N>
QRgb interpolate(const std::array<QRgb, N> &stops, double t)
{
    t = std::clamp(t, 0.0, 1.0) * double(N - 1);
    const auto i = std::min<size_t>(static_cast<size_t>(t), N - 2);
    const double f = t - double(i);
    const QRgb a = stops[i];
    const QRgb b = stops[i + 1];
    const auto mix = [f](int x, int y) { return int(std::lround(x + (y - x) * f)); };
    return qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
}

// The part of magma used for activations: from its pale end down to a deep purple (the last
// eighth is nearly black and would hide the token text).
QRgb magmaForFraction(double fraction)
{
    return interpolate(kMagma, 1.0 - 0.88 * fraction);
}

}  // namespace

QRgb activationColour(ColourScale scale, double value, double max)
{
    if (scale == ColourScale::Diverging) {
        const double t = max > 0.0 ? 0.5 + 0.5 * std::clamp(value / max, -1.0, 1.0) : 0.5;
        return interpolate(kRdBu, t);
    }
    if (max <= 0.0 || value <= 0.0) {
        return qRgba(0, 0, 0, 0);  // unpainted: the view's background shows through
    }
    return magmaForFraction(std::clamp(value / max, 0.0, 1.0));
}

QColor textColourOn(QRgb background)
{
    if (qAlpha(background) == 0) {
        return {};  // invalid: use the palette's text colour
    }
    // Relative luminance (sRGB, roughly linearised): white text below ~0.35.
    const auto channel = [](int c) { return std::pow(c / 255.0, 2.2); };
    const double luminance = 0.2126 * channel(qRed(background)) +
                             0.7152 * channel(qGreen(background)) +
                             0.0722 * channel(qBlue(background));
    return luminance < 0.25 ? QColor(Qt::white) : QColor(0x20, 0x20, 0x20);
}

QImage colourScaleImage(ColourScale scale, int length, int thickness, Qt::Orientation orientation)
{
    length = std::max(length, 2);
    thickness = std::max(thickness, 1);
    const bool horizontal = orientation == Qt::Horizontal;
    QImage image(horizontal ? length : thickness, horizontal ? thickness : length,
                 QImage::Format_ARGB32);
    for (int i = 0; i < length; ++i) {
        const double t = double(i) / double(length - 1);
        // The legend starts at the smallest visible activation, not at the unpainted zero.
        const QRgb colour = scale == ColourScale::Diverging
                                    ? activationColour(scale, 2.0 * t - 1.0, 1.0)
                                    : magmaForFraction(t);
        for (int j = 0; j < thickness; ++j) {
            if (horizontal) {
                image.setPixel(i, j, colour);
            } else {
                image.setPixel(j, length - 1 - i, colour);
            }
        }
    }
    return image;
}

}  // namespace gyrus::widgets
