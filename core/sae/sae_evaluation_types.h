#pragma once
// The SAE training dock's evaluation card: an SAE evaluated on held-out text by the
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

/// Reconstruction and sparsity metrics of an SAE on held-out activations (sae_sota.md §5.1), in
/// the raw units of the activations (gpu/sae/evaluation/sae_evaluation.h computes them).
struct SaeEvalMetrics
{
    qint64 tokens = 0;             ///< activations the metrics used
    double explainedVariance = 0;  ///< 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² (x̄ over all tokens)
    double mse = 0;                ///< mean over tokens and dimensions of (x̂ − x)²
    double msePerToken = 0;       ///< mean over tokens of Σ_d (x̂ − x)²
    double normalizedMse = 0;     ///< Σ‖x − x̂‖² / Σ‖x‖²
    double l0 = 0;                ///< mean active latents per token
    double l1 = 0;                ///< mean Σ_i f_i per token
    double deadFraction = 0;      ///< latents that never fired on these tokens
    double denseFraction = 0;     ///< latents active on more than 10% of these tokens
    double cosineSimilarity = 0;  ///< mean cos(x, x̂)
};

/// The evaluation card: the reconstruction metrics and the cross-entropies with the SAE spliced
/// into the model.
struct SaeEvalResult : SaeEvalMetrics
{
    QString saePath;
    QString hookName;
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
