#pragma once
// The SAE training dock's evaluation card (issue 7): an SAE evaluated on held-out text by the
// engine, the same numbers as `gyrus-cli cache` + `gyrus-cli sae eval --model --corpus`.

#include <QMetaType>
#include <QString>

namespace gyrus {

struct SaeEvalRequest
{
    QString saePath;   ///< SAELens directory to evaluate (loaded for the evaluation only)
    QString textPath;  ///< held-out text, one sentence or paragraph per line
    int contextLength = 128;
    qint64 tokens = 16384;  ///< activations for explained variance, L0, dead/dense fractions
    int sequences = 64;     ///< windows of contextLength + 1 tokens for CE-loss recovered
    QString device = QStringLiteral("cpu");
};

struct SaeEvalResult
{
    QString saePath;
    QString hookName;
    qint64 tokens = 0;  ///< activations the reconstruction metrics used
    double explainedVariance = 0;
    double mse = 0;
    double l0 = 0;
    double deadFraction = 0;
    double denseFraction = 0;
    qint64 ceTokens = 0;  ///< predicted tokens the cross-entropies used
    double ceOriginal = 0;
    double ceSae = 0;
    double ceZero = 0;
    double ceWithError = 0;
    double klSae = 0;
    double ceLossRecovered = 0;  ///< (H_zero − H_sae) / (H_zero − H_orig)
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::SaeEvalRequest)
Q_DECLARE_METATYPE(gyrus::SaeEvalResult)
