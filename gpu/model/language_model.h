#pragma once
// A language model of a supported family loaded from a Hugging Face directory: the torch-free
// facade that the engine thread and gyrus-cli use. Tensor-level access (activations as at::Tensor,
// hook replacement) is in gpu/model/transformer.h, reached through tensorModel().

#include "core/base/status.h"
#include "core/engine/engine_types.h"
#include "gpu/model/model_config.h"
#include "gpu/model/tokenizer.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class Transformer;
class HookSet;
}  // namespace detail

struct LoadOptions
{
    QString device = QStringLiteral("cpu");  ///< "cpu", "cuda" or "cuda:N"
    Dtype dtype = Dtype::Float32;
    /// Called with the loaded fraction in [0, 1]; returning false cancels (Status Cancelled).
    std::function<bool(double fraction)> progress;
    /// Refuse weights holding NaN or infinity, checked as each layer is first read (a forward
    /// that reaches a corrupt layer fails naming the shard; off for a quick look).
    bool checkFinite = true;
};

/// A dense float32 array, row-major.
struct FloatTensor
{
    std::vector<int64_t> shape;
    std::vector<float> values;
};

struct ForwardOptions
{
    QStringList captures;  ///< hook names whose activations to copy out
    bool logits = true;    ///< false: skip the head, and stop after the deepest captured layer
    /// Hooks see the per-token mean over d_model removed (HookSet::setCentred): the activations
    /// of TransformerLens's processed weights. LayerNorm models only.
    bool centerWritingWeights = false;
};

/// The outputs for one sequence.
struct ForwardOutput
{
    std::vector<int> tokens;
    FloatTensor logits;                          ///< [tokens, vocab]; empty without logits
    std::map<QString, FloatTensor> activations;  ///< hook name -> [tokens, d_model]
};

/// One new token, as generate() streams it.
struct GeneratedToken
{
    int id = 0;
    QString piece;  ///< display piece ("▁" as a space)
    QString text;   ///< text this token adds to the continuation (may be empty: a partial byte)
};

struct GenerateResult
{
    std::vector<int> promptTokens;
    std::vector<int> tokens;  ///< new tokens
    QString text;             ///< the continuation as text
    QString stopReason;       ///< "max-tokens", "eos", "cancelled"
};

/// Called for every new token; returning false stops the generation (stopReason "cancelled").
using TokenCallback = std::function<bool(const GeneratedToken &token)>;

/// What the SAE that the activations feed was trained on (its cfg: prepend_bos,
/// model_from_pretrained_kwargs.center_writing_weights), so that the model produces them the
/// same way: TransformerLens's BOS rule and, on LayerNorm models, centred residual hooks.
struct SaeConventions
{
    std::optional<bool> prependBos;  ///< nullopt: the tokenizer's own rule
    bool centreResiduals = false;    ///< ignored where centring does not apply (RMSNorm models)
};

/// Not thread-safe: use one LanguageModel from one thread (the engine thread) at a time.
class LanguageModel
{
public:
    ~LanguageModel();
    LanguageModel(const LanguageModel &) = delete;
    LanguageModel &operator=(const LanguageModel &) = delete;

    /// Loads config.json, maps the safetensors weights (single file or sharded) and reads
    /// tokenizer.model (optional: without it, text methods fail). Every expected tensor must
    /// exist with its shape (headers only: no weight is read here). A forward reads the layers it
    /// runs on first use (used in place on the CPU in the file's dtype, else converted once) and
    /// refuses what would exceed the memory budget (core/base/memory_budget.h).
    /// Errors name the directory or file: NotFound, InvalidInput, Cancelled.
    static Result<std::unique_ptr<LanguageModel>> load(const QString &hfDir,
                                                       const LoadOptions &options = {});

    ModelInfo info() const;

    const ModelConfig &config() const;

    /// The tokenizer; vocabSize() == 0 when the directory has none.
    const Tokenizer &tokenizer() const;

    /// Encodes text (BOS prepended when `addBos`); fails when there is no tokenizer.
    Result<std::vector<int>> encode(const QString &text, bool addBos = true) const;

    /// Applies an SAE's conventions to every later encode (the tokenizer's too) and forward;
    /// {} restores Hugging Face's behaviour.
    void setSaeConventions(const SaeConventions &conventions);
    SaeConventions saeConventions() const;

    /// Runs one sequence. Unknown hook names and out-of-range ids fail with InvalidInput.
    /// `interventions` (may be null) run too; captures see the activations after them. Its own
    /// captures are not filled (it is copied): ask for captures in `options`.
    Result<ForwardOutput> forward(const std::vector<int> &tokens,
                                  const ForwardOptions &options = {},
                                  const detail::HookSet *interventions = nullptr) const;

    /// Runs several sequences as one right-padded batch; outputs are per sequence, cropped to
    /// its length, and equal those of separate forwards.
    Result<std::vector<ForwardOutput>> forwardBatch(
            const std::vector<std::vector<int>> &sequences, const ForwardOptions &options = {},
            const detail::HookSet *interventions = nullptr) const;

    /// Generates a continuation of `prompt`, streaming each token to `callback`. `hooks` (may be
    /// null) stay active through prefill and every decode step.
    Result<GenerateResult> generate(const QString &prompt, const GenerateOptions &options,
                                    const TokenCallback &callback = {},
                                    detail::HookSet *hooks = nullptr) const;

    /// The same from token ids.
    Result<GenerateResult> generateFromTokens(const std::vector<int> &prompt,
                                              const GenerateOptions &options,
                                              const TokenCallback &callback = {},
                                              detail::HookSet *hooks = nullptr) const;

    /// Tensor-level access for gpu/ code (SAE training, analyses).
    detail::Transformer &tensorModel() const;

private:
    struct Impl;
    explicit LanguageModel(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
