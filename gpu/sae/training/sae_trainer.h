#pragma once
// SAE training that the engine drives slice by slice (ARCHITECTURE.md §3): create(), then step(n)
// until isFinished(), with a metrics callback every N steps, checkpoint/resume that reproduce an
// uninterrupted run bit for bit, and cancel(). Torch-free facade over its private headers.

#include "core/base/status.h"
#include "core/sae/sae_config.h"
#include "core/sae/sae_training_types.h"

#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
class BatchReducer;
class SaeModule;
struct SaeTrainerState;
}  // namespace detail

// The trainer reports a SaeTrainMetrics (core/sae/sae_training_types.h) every `metricsEverySteps`
// steps. Reconstruction numbers are in the normalised training units (E‖x‖ = √d_in) and are
// averages over the steps since the last report; densities are measured over the tokens since
// the last report.

/// The schedule and clipping of one step, for tests and the UI.
struct SaeStepDiagnostics
{
    int64_t step = -1;  ///< index of the step (0-based); -1 before the first
    double learningRate = 0;
    double sparsityCoefficient = 0;
    double gradientNormBeforeClip = 0;
    double gradientNormAfterClip = 0;
};

class SaeTrainer
{
public:
    /// Checks the configuration against the source (d_in, sizes), estimates the input scale on
    /// up to normalisationTokens rows and initialises the SAE (sae_sota.md §0, §1.1).
    ///
    /// Data-parallel (`reducer` non-null): every rank calls this with a source that serves its
    /// share of each batch (ShardedActivationSource); the input scale and b_dec are estimated over
    /// every rank's sample, each step's gradients and firing statistics are summed over the ranks
    /// (one bucketed all-reduce), so every rank holds the same weights, optimiser state and
    /// dead-latent counters at every step. Only rank 0 writes the log.
    static Result<std::unique_ptr<SaeTrainer>> create(
            const SaeTrainingConfig &config, std::shared_ptr<detail::ActivationSource> source,
            std::shared_ptr<detail::BatchReducer> reducer = nullptr);

    /// Continues from a checkpoint written by saveCheckpoint(); `source` must serve the same
    /// data (same rows, same shuffle seed) for the run to match an uninterrupted one. The state
    /// is the same on every rank, so a checkpoint resumes with any number of ranks (`reducer`)
    /// that can split its data shards.
    static Result<std::unique_ptr<SaeTrainer>> resume(
            const QString &checkpointDirectory, std::shared_ptr<detail::ActivationSource> source,
            std::shared_ptr<detail::BatchReducer> reducer = nullptr);

    /// The configuration stored in a checkpoint directory, without loading its tensors (to build
    /// the matching source before resume()).
    static Result<SaeTrainingConfig> checkpointConfig(const QString &checkpointDirectory);

    ~SaeTrainer();
    SaeTrainer(const SaeTrainer &) = delete;
    SaeTrainer &operator=(const SaeTrainer &) = delete;

    /// Runs up to `maxSteps` steps (fewer at the end of training). Returns Cancelled when
    /// cancel() was called (the state stays consistent: save or continue), or the error of a
    /// failed read.
    Status step(int64_t maxSteps);

    /// Thread-safe: the running step() returns at the next step boundary.
    void cancel() { m_cancelled.store(true); }

    void clearCancel() { m_cancelled.store(false); }

    bool isFinished() const;
    int64_t stepsDone() const;
    int64_t totalSteps() const;
    const SaeTrainingConfig &config() const;

    /// The scale s applied to inputs during training (s·x has E‖s·x‖ = √d_in).
    double inputScale() const;

    /// Called on the training thread every metricsEverySteps steps and after the last step.
    void setMetricsCallback(std::function<void(const SaeTrainMetrics &)> callback);

    /// The metrics of the last report (step 0 and zeros before any).
    SaeTrainMetrics latestMetrics() const;

    SaeStepDiagnostics lastStep() const;

    /// The schedules as functions of the 0-based step index.
    double learningRateAt(int64_t step) const;
    double sparsityCoefficientAt(int64_t step) const;

    /// Writes everything needed to resume (weights, Adam moments, counters, data position,
    /// configuration) into `directory`.
    Status saveCheckpoint(const QString &directory) const;

    /// The inference SAE in raw input units (scale and, for ReLU, decoder norms folded).
    std::shared_ptr<detail::SaeModule> exportModule() const;

    /// exportModule() written in the SAELens layout, with sparsity.safetensors.
    Status exportSae(const QString &directory) const;

    /// The trainer's tensors (tests read the optimiser state through it).
    const detail::SaeTrainerState &state() const;

private:
    SaeTrainer();
    Status trainOneStep();
    Result<SaeTrainMetrics> collectMetrics();
    Status writeLogLine(const SaeTrainMetrics &metrics) const;

    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::atomic<bool> m_cancelled{false};
};

}  // namespace gyrus::gpu
