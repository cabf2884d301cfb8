#pragma once
// Rich text for the feature inspector's example lists: each example is one row with its
// activation and the text around the activating token, the token highlighted with a strength that
// follows its activation (so a list reads like a heatmap of the feature's peaks).

#include "core/features/feature_inspector_types.h"

#include <QColor>
#include <QString>

namespace gyrus::widgets {

/// The highlight colour of an activation `fraction` (0..1 of the feature's maximum) over
/// `background`: the accent colour blended in by the fraction, never fully transparent.
QColor activationHighlight(double fraction, const QColor &accent, const QColor &background);

/// An HTML table of `examples`, one row each: activation, then before·token·after with the token
/// highlighted. `maxActivation` scales the highlight; `accent`/`background` come from the palette.
QString exampleRowsHtml(const QList<FeatureExampleText> &examples, double maxActivation,
                        const QColor &accent, const QColor &background);

/// Examples grouped by histogram bin, strongest bin first, each group under a heading with its
/// activation range and token count; bins without examples are left out.
QString binExamplesHtml(const QList<FeatureBinExamples> &bins, double maxActivation,
                        const QColor &accent, const QColor &background);

/// A compact number for activations and logits: 3 significant digits ("5.31", "0.0421", "123").
QString formatActivation(double value);

}  // namespace gyrus::widgets
