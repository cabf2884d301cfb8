#pragma once

#include "core/base/vocabulary.h"
#include "core/sae/sae_config.h"

#include <QMetaType>
#include <QString>
#include <QVector>

namespace gyrus {

/// What the SAE training dock asks the engine to do: a training run (SaeTrainingConfig, the type
/// the trainer and `gyrus-cli sae train` use) plus its data and where the SAE goes. The data is
/// cached activations (an HDF5 file with /activations [N, d], as `gyrus-cli cache` writes), or
/// activations streamed from the loaded model over a text corpus (corpusPath set,
/// activationsPath empty: what `gyrus-cli sae train --model --corpus --hook` does). The engine
/// hands the request to the trainer as it is; sae.dIn is the data's width when left 0, and a
/// streamed run records the model in sae.modelName.
struct SaeTrainRequest : SaeTrainingConfig
{
    /// The dock's defaults where they are not the trainer's: a TopK SAE of 4096 latents over
    /// 10M tokens and a metrics report every 10 steps for the dock's plots. JumpReLU's L0 λ keeps
    /// the trainer's 0 (= 0.01·d_in), as the CLI does: a literal 0.01 was ~200x (demo) to ~2300x
    /// (Gemma-2-2B) weaker than the recipe, a penalty too small to make the SAE sparse.
    SaeTrainRequest()
    {
        sae.architecture = SaeArchitecture::TopK;
        sae.dSae = 4096;
        totalTokens = 10'000'000;
        metricsEverySteps = 10;
    }

    QString activationsPath;
    QString dataset = QStringLiteral("activations");
    QString corpusPath;           ///< streaming: text, one sentence or paragraph per line
    int contextLength = 128;      ///< streaming: tokens per window, BOS included
    qint64 bufferTokens = 65536;  ///< streaming: rows in the shuffle buffer
    QString outDirectory;         ///< the trained SAE in the SAELens layout
    QString resumeCheckpoint;     ///< non-empty: continue this checkpoint (pause/resume)

    /// Trains on the loaded model streamed over corpusPath (no activation file given).
    bool streams() const { return activationsPath.isEmpty() && !corpusPath.isEmpty(); }
};

/// One metrics report of a running training (every `metricsEverySteps` steps): what the trainer
/// measures, the SAE training dock plots, the CLI prints and a workspace keeps.
struct SaeTrainMetrics
{
    qint64 step = 0;  ///< steps done
    qint64 totalSteps = 0;
    qint64 tokens = 0;         ///< tokens trained on
    double loss = 0;           ///< total loss (MSE + λ·sparsity + α·AuxK)
    double mse = 0;            ///< Σ_d (x̂ − x)², mean over tokens
    double normalizedMse = 0;  ///< Σ‖x − x̂‖² / Σ‖x‖² (Anthropic's normalised MSE)
    double explainedVariance = 0;  ///< 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² (x̄: batch mean; = 1 − FVU)
    double l0 = 0;             ///< mean active latents per token
    double l1 = 0;             ///< mean Σ_i f_i per token
    double sparsityLoss = 0;   ///< the unweighted sparsity term
    double auxKLoss = 0;       ///< the unweighted AuxK term
    double deadFraction = 0;   ///< latents silent for the dead window
    double denseFraction = 0;  ///< latents active on more than 10% of tokens
    double learningRate = 0;
    double sparsityCoefficient = 0;
    double gradientNorm = 0;     ///< before clipping, of the last step
    double tokensPerSecond = 0;  ///< of the whole batch (every rank's rows)
    double etaSeconds = 0;
    double stepSeconds = 0;  ///< wall time per step since the last report
    /// Data-parallel: seconds per step spent in collectives (gradient all-reduce, BatchTopK
    /// threshold, AuxK variance) since the last report; 0 in one process.
    double collectiveSeconds = 0;
    /// Latents per bin of log10(density + 1e-10): equal bins from histogramLow to histogramHigh
    /// (a latent that never fired lands in the first bin). Whole numbers.
    QVector<double> densityHistogram;
    double histogramLow = -10.0;
    double histogramHigh = 0.0;
};

/// How a training run ended, for the evaluation card.
struct SaeTrainOutcome
{
    QString outDirectory;  ///< where the SAE was exported (empty when paused)
    QString checkpoint;    ///< where the run can be resumed from (empty when finished)
    SaeTrainMetrics last;  ///< the final metrics
    bool paused = false;
};

/// Caches the loaded model's activations at one hook over a corpus into an HDF5 file (what
/// `gyrus-cli cache` writes, with the same settings and attributes). The file appears only
/// when it is complete: a cancelled or failed run leaves nothing at outPath.
struct ActivationCacheRequest
{
    QString corpusPath;
    QString hookName;
    int contextLength = 128;
    qint64 tokens = 0;        ///< activations to keep (0: the whole corpus)
    int batchSequences = 16;  ///< windows per forward pass
    bool float32 = false;     ///< storage: float16 (default, as the CLI) or float32
    QString outPath;
    bool overwrite = false;  ///< replace an existing outPath (otherwise refused)
};

/// A finished cache.
struct ActivationCacheOutcome
{
    QString outPath;
    qint64 rows = 0;
    int columns = 0;
    qint64 documents = 0;
    double seconds = 0;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::ActivationCacheRequest)
Q_DECLARE_METATYPE(gyrus::ActivationCacheOutcome)
Q_DECLARE_METATYPE(gyrus::SaeTrainRequest)
Q_DECLARE_METATYPE(gyrus::SaeTrainMetrics)
Q_DECLARE_METATYPE(gyrus::SaeTrainOutcome)
