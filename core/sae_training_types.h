#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

namespace gyrus {

/// What the SAE training dock asks the engine to do: train an SAE on cached activations (an
/// HDF5 file with /activations [N, d], as `gyrus-cli cache` writes). Zero means "the recipe's
/// default" for the numeric settings (shared/reference/sae_sota.md).
struct SaeTrainRequest
{
    QString activationsPath;
    QString dataset = QStringLiteral("activations");
    QString hookName;                               ///< recorded in cfg.json
    QString architecture = QStringLiteral("topk");  ///< relu, topk, batchtopk, jumprelu
    int dSae = 4096;
    int k = 32;                   ///< TopK / BatchTopK
    double l1Coefficient = 5.0;   ///< ReLU
    double l0Coefficient = 0.01;  ///< JumpReLU
    int batchSize = 4096;
    qint64 tokens = 10'000'000;
    double learningRate = 0.0;
    QString device = QStringLiteral("cpu");
    quint64 seed = 0;
    QString outDirectory;      ///< the trained SAE in the SAELens layout
    QString resumeCheckpoint;  ///< non-empty: continue this checkpoint (pause/resume)
};

/// One metrics report of a running training (about every 100 steps).
struct SaeTrainProgress
{
    qint64 step = 0;
    qint64 totalSteps = 0;
    qint64 tokens = 0;
    double loss = 0;
    double mse = 0;
    double normalizedMse = 0;
    double explainedVariance = 0;
    double l0 = 0;
    double l1 = 0;
    double deadFraction = 0;
    double denseFraction = 0;
    double learningRate = 0;
    double tokensPerSecond = 0;
    double etaSeconds = 0;
    QVector<double> densityHistogram;  ///< counts of latents per log10(density) bin
    double histogramLow = -10.0;
    double histogramHigh = 0.0;
};

/// How a training run ended, for the evaluation card.
struct SaeTrainOutcome
{
    QString outDirectory;   ///< where the SAE was exported (empty when paused)
    QString checkpoint;     ///< where the run can be resumed from (empty when finished)
    SaeTrainProgress last;  ///< the final metrics
    bool paused = false;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::SaeTrainRequest)
Q_DECLARE_METATYPE(gyrus::SaeTrainProgress)
Q_DECLARE_METATYPE(gyrus::SaeTrainOutcome)
