#pragma once
// Colour maps for activations (token heatmap, feature × token matrix): perceptually uniform so
// equal steps in activation look like equal steps in colour, and monotonic in lightness so they
// survive greyscale printing and colour-vision deficiencies.

#include <QColor>
#include <QImage>

namespace gyrus::widgets {

enum class ColourScale
{
    /// 0 → the page's own background, then magma from pale cream (small) to deep purple (the
    /// maximum): inactive tokens stay unpainted and strong ones stand out.
    Sequential,
    /// −m → blue, 0 → near white, +m → red (hook dimensions take either sign); symmetric
    /// lightness on both sides.
    Diverging,
};

/// The colour of `value` on `scale` for values in [0, max] (Sequential) or [−max, max]
/// (Diverging); values outside saturate. max <= 0 maps everything to the zero colour.
QRgb activationColour(ColourScale scale, double value, double max);

/// Black or white, whichever reads better on `background`.
QColor textColourOn(QRgb background);

/// A gradient strip for a legend: `length` pixels from the low end (left or bottom) to the high
/// end, `thickness` across.
QImage colourScaleImage(ColourScale scale, int length, int thickness, Qt::Orientation orientation);

}  // namespace gyrus::widgets
