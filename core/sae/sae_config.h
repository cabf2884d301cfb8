#pragma once
// Plain configuration of a sparse autoencoder and of its training run: one type for the engine,
// the CLI, the SAE training dock (SaeTrainRequest is this plus its data and output) and the SAE
// cards (SaeInfo is an SaeConfig plus where it was loaded). The recipes and their sources are in
// shared/reference/sae_sota.md.

#include "core/base/vocabulary.h"

#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <optional>

namespace gyrus {

/// The shape and inference behaviour of one SAE (what cfg.json describes).
struct SaeConfig
{
    SaeArchitecture architecture = SaeArchitecture::Relu;
    int64_t dIn = 0;
    int64_t dSae = 0;
    int64_t k = 32;  ///< TopK / BatchTopK: active latents per token (BatchTopK: on average)
    /// pre = (x − b_dec)·W_enc + b_enc when true, x·W_enc + b_enc when false (April recipe,
    /// Gemma Scope).
    bool applyBDecToInput = false;
    QString hookName;   ///< e.g. "blocks.3.hook_resid_post"
    QString modelName;  ///< free text, written to cfg.json metadata
    SaeInputNormalisation inputNormalisation = SaeInputNormalisation::None;
    /// Trained on TransformerLens activations with center_writing_weights, i.e. on x − mean_d(x)
    /// at residual-stream hooks. The module subtracts the per-token mean itself (and adds it back
    /// to reconstructions), which is idempotent, so a model side that centres too is harmless.
    bool centreInput = false;
    /// The training context began with BOS (SAELens prepend_bos); feed the SAE's model the same.
    bool prependBos = true;
    QString format;  ///< where it was loaded from: "saelens", "gemma-scope", "llama-scope"

    /// Active latents per token for a TopK SAE, 0 for every other architecture (what the SAE
    /// cards show as "k").
    int64_t topK() const { return architecture == SaeArchitecture::TopK ? k : 0; }
};

/// One training run. Defaults follow the recipe of each architecture (sae_sota.md §0, §1.1);
/// a value of 0 means "the default for this architecture / size".
struct SaeTrainingConfig
{
    SaeConfig sae;
    int64_t batchSize = 4096;
    int64_t totalTokens = 0;  ///< steps = totalTokens / batchSize (at least 1)
    double learningRate = 0;  ///< 0: 5e-5 (ReLU, April) or 2e-4/sqrt(d_sae/2^14) (others)
    double adamBeta1 = 0.9;
    double adamBeta2 = 0.999;
    double adamEpsilon = 1e-8;
    double weightDecay = 0;      ///< decoupled (AdamW); the April recipe uses none
    double warmupFraction = 0;   ///< linear LR warm-up from 0 over this share of the steps
    double decayFraction = 0.2;  ///< linear LR decay to 0 over the last share of the steps
    double gradientClip = 1.0;   ///< global gradient-norm clip; <= 0 disables it
    double l1Coefficient = 5.0;  ///< ReLU: λ of λ·Σ f_i·‖W_dec,i‖ (inputs scaled to E‖x‖ = √d)
    /// JumpReLU: λ of λ·Σ H(pre_i − θ_i). 0: 0.01·d_in, i.e. one more active latent must explain
    /// at least 1% of E‖x‖² (= d_in in training units) to pay for itself.
    double l0Coefficient = 0;
    double sparsityWarmupFraction = 0.05;  ///< λ rises linearly from 0 over this share of steps
    double auxKCoefficient = 1.0 / 32.0;   ///< TopK / BatchTopK
    int64_t kAux = 0;                      ///< 0: d_in / 2
    double jumpReluBandwidth = 0.05;       ///< ε of the rectangle kernel (pre-activation units)
    double jumpReluInitThreshold = 0.5;    ///< θ at initialisation (pre-activation units)
    double decoderInitNorm = 0;            ///< 0: 0.1 (ReLU) or 1 (unit-norm architectures)
    double batchTopKThresholdStartFraction = 0.1;  ///< θ is averaged from this share of steps on
    double batchTopKThresholdBeta = 0.99;  ///< θ ← β·θ + (1 − β)·(smallest kept value)
    /// A latent is dead when it has not fired for this many tokens. 0: min(10M, tokens / 10).
    int64_t deadWindowTokens = 0;
    /// Tokens used to estimate the input scale; 0: kDefaultNormalisationTokens (the trainer
    /// records the number it used).
    int64_t normalisationTokens = 0;
    static constexpr int64_t kDefaultNormalisationTokens = 100000;
    /// The data's shards (gpu/sae/activations/activation_source.h ShardedActivationSource): every
    /// batch takes batchSize / dataShards rows from each. Data-parallel ranks split the shards, so
    /// a run resumes on any number of ranks up to this.
    int64_t dataShards = 1;
    uint64_t seed = 0;
    QString device = QStringLiteral("cpu");  ///< "cpu", "cuda" or "cuda:N"
    /// Mixed precision of the big matmuls (the forward's three and the backward's, the GEMMs
    /// torch's autocast would lower): Float32, BFloat16 or Float16. Master weights, Adam state,
    /// losses, reductions and counters stay fp32 whatever this says. On the CPU it applies only
    /// with precisionOnCpu.
    Dtype precision = Dtype::BFloat16;
    /// Apply `precision` on the CPU too. Off by default: there bf16 GEMMs are slower than fp32
    /// (LibTorch 1.13 with OpenBLAS) or no faster; on to measure bf16 against fp32 on a CPU.
    bool precisionOnCpu = false;
    int64_t metricsEverySteps = 100;  ///< metrics callback and JSONL line every N steps
    QString logPath;                  ///< JSONL log; empty for none
};

/// The configuration as JSON (checkpoints, workspace provenance) and back. Unknown or missing
/// keys read as zero/empty; check the result with the trainer before use.
QJsonObject trainingConfigToJson(const SaeTrainingConfig &config);
SaeTrainingConfig trainingConfigFromJson(const QJsonObject &json);

}  // namespace gyrus
