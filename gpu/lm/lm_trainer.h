#pragma once
// Trains a Llama-architecture language model from scratch on a token corpus (the demo
// model). Torch-free public header; the engine or gyrus-cli drive it a slice of steps at a time.

#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/model_config.h"

#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace gyrus::gpu {

struct LmTrainConfig
{
    ModelConfig model;        ///< dimensions; vocab, bos and eos come from the tokenizer
    int contextLength = 256;  ///< tokens per training sequence
    int batchSize = 16;       ///< sequences per step
    qint64 steps = 1000;
    int warmupSteps = 100;
    double learningRate = 3e-3;
    double minLearningRateFraction = 0.1;  ///< cosine decay ends at lr × this
    double weightDecay = 0.1;              ///< AdamW, on matrices only (not norms)
    double beta1 = 0.9;
    double beta2 = 0.95;
    double epsilon = 1e-8;
    double gradientClip = 1.0;
    quint64 seed = 0;
    QString device = QStringLiteral("cpu");
    /// Float32, or BFloat16 (or BFloat16Autocast): bf16 autocast of the forward on CUDA; master
    /// weights stay fp32.
    Dtype precision = Dtype::Float32;
    int evalEvery = 250;     ///< held-out loss every N steps (0: never)
    int evalSequences = 64;  ///< held-out sequences per evaluation (fixed, non-overlapping)
};

/// One training step's figures, reported through the step callback.
struct LmTrainStep
{
    qint64 step = 0;  ///< steps done
    qint64 tokens = 0;
    double loss = 0.0;  ///< training cross-entropy of this step's batch (nats/token)
    double learningRate = 0.0;
    double gradientNorm = 0.0;  ///< before clipping
    double tokensPerSecond = 0.0;
    double etaSeconds = 0.0;
    std::optional<double> heldoutLoss;  ///< when evaluated at this step
};

/// Not thread-safe: create and use on one thread (the engine thread or gyrus-cli's main).
class LmTrainer
{
public:
    ~LmTrainer();
    LmTrainer(const LmTrainer &) = delete;
    LmTrainer &operator=(const LmTrainer &) = delete;

    /// Initialises the weights (seeded: normal(0, 0.02), residual projections scaled by
    /// 1/sqrt(2·layers), norms at 1). `train` and `heldout` must outlive the trainer.
    static Result<std::unique_ptr<LmTrainer>> create(const LmTrainConfig &config,
                                                     const TokenCorpus *train,
                                                     const TokenCorpus *heldout);

    /// Runs up to `steps` optimiser steps (fewer at the end of training); `callback` sees each
    /// step and may return false to stop (cancel) after it. Returns the steps run.
    Result<qint64> run(qint64 steps, const std::function<bool(const LmTrainStep &)> &callback);

    qint64 stepsDone() const;
    bool finished() const;

    /// Mean cross-entropy (nats/token) over the fixed held-out sequences, BOS targets excluded
    /// (BOS is given at inference, and the n-gram baselines do not predict it either).
    double heldoutLoss();

    /// The learning rate at a step (warm-up, then cosine decay), for tests and plots.
    double learningRateAt(qint64 step) const;

    /// Parameters (the tied head counted once).
    qint64 parameterCount() const;

    /// Weights, AdamW moments and the step, so that resume() continues bit for bit: batches
    /// are drawn from a generator seeded by (seed, step), so no other state is needed.
    Status saveCheckpoint(const QString &path) const;
    Status resume(const QString &path);

    /// A Hugging Face directory: config.json, model.safetensors in `dtype` (Float32, Float16 or
    /// BFloat16) and a copy of tokenizer.model.
    Status saveHuggingFace(const QString &directory, Dtype dtype,
                           const QString &tokenizerModel) const;

private:
    struct Impl;
    explicit LmTrainer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
