#pragma once
// Private to gyrus_gpu (and tests/gpu). The decoder-only transformer of every supported family
// (Llama/Mistral, GPT-2, Gemma-2/3, Qwen2/3, GPT-NeoX) at the tensor level: what the
// LanguageModel facade, SAE training and the analyses use when they need at::Tensor activations
// or tensor-level hook replacement. The family's differences come from ModelConfig.

#include "core/base/memory_budget.h"
#include "core/base/status.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/kv_cache.h"
#include "gpu/model/model_config.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/transformer_ops.h"
#include "gpu/model/weight_footprint.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gyrus::gpu::detail {

/// A projection: `weight` in the checkpoint's layout (nn.Linear [out, in]; GPT-2 Conv1D
/// [in, out]), `bias` undefined when the family has none.
struct LinearWeights
{
    at::Tensor weight;
    at::Tensor bias;
};

/// A norm's gain and (LayerNorm) bias.
struct NormWeights
{
    at::Tensor weight;
    at::Tensor bias;
};

/// Weights of one block. Which are defined depends on the family (ModelConfig): q/k/v or the
/// fused qkv; gate only for gated MLPs (up is GPT-2's c_fc, NeoX's dense_h_to_4h); attnPostNorm,
/// mlpPostNorm for Gemma; qNorm, kNorm for Qwen3 and Gemma-3.
struct LayerWeights
{
    NormWeights attnNorm;
    NormWeights attnPostNorm;
    NormWeights mlpNorm;
    NormWeights mlpPostNorm;
    LinearWeights q, k, v, qkv, o;
    at::Tensor qNorm;  ///< [head_dim]
    at::Tensor kNorm;
    LinearWeights gate, up, down;
};

struct TransformerWeights
{
    at::Tensor embed;      ///< [vocab, d]
    at::Tensor positions;  ///< [max_positions, d]: GPT-2's learned positions, else undefined
    std::vector<LayerWeights> layers;
    NormWeights finalNorm;
    at::Tensor lmHead;  ///< [vocab, d]; the same tensor as embed when tied
};

/// The weight a checkpoint tensor fills (modelTensors()).
at::Tensor &weightSlot(TransformerWeights &weights, WeightRole role, int layer);

/// Which logits forward() computes.
enum class LogitsMode
{
    None,  ///< none: the forward may stop after the deepest hooked layer
    All,   ///< [batch, tokens, vocab]
    Last,  ///< [batch, 1, vocab], the last position only (generation)
};

/// Reports loading progress in [0, 1]; returning false cancels the load.
using LoadProgress = std::function<bool(double fraction)>;

/// What a model opened from a safetensors archive has read of it so far (every weight counts
/// for a model built from tensors).
struct WeightTouch
{
    int tensors = 0;  ///< checkpoint tensors turned into at::Tensor
    int tensorsTotal = 0;
    qint64 fileBytes = 0;       ///< their bytes in the file
    qint64 convertedBytes = 0;  ///< copies made in the compute dtype or on the device
    int layersReady = 0;        ///< layers 0..layersReady-1 are in use
    bool headReady = false;     ///< final norm and head in use
    QStringList shards;         ///< files read, sorted
};

class Transformer
{
public:
    /// Takes weights already on one device in one dtype; checks shapes against `config`.
    static Result<std::shared_ptr<Transformer>> create(const ModelConfig &config,
                                                       TransformerWeights weights);

    /// Builds the weights from Hugging Face names (modelTensors, the usual root) in `tensors`,
    /// converted to `device` and `dtype` (no copy when they already match). Errors list missing
    /// tensors and wrong shapes, and name a tensor holding NaN or infinity.
    static Result<std::shared_ptr<Transformer>> fromTensors(
            const ModelConfig &config, const std::map<std::string, at::Tensor> &tensors,
            at::Device device, at::ScalarType dtype, const LoadProgress &progress = {},
            bool checkFinite = true);

    /// The same from a safetensors archive (zero-copy on the CPU when the dtype matches); finds
    /// the tensors under an alternative root (detectTensorRoot) when the usual one is absent.
    /// Only the headers are checked here: a layer's tensors are read (mapped pages touched,
    /// converted to `dtype`, checked for NaN) the first time a forward needs that layer, the
    /// final norm and head the first time logits are asked for. The embedding stays in the
    /// file's dtype on the CPU and is gathered row by row. A forward reaching a corrupt layer
    /// throws a StatusError naming the shard; layers already in use stay usable.
    static Result<std::shared_ptr<Transformer>> fromArchive(const ModelConfig &config,
                                                            const SafetensorsArchive &archive,
                                                            at::Device device, at::ScalarType dtype,
                                                            const LoadProgress &progress = {},
                                                            bool checkFinite = true);

    /// Runs the transformer on `tokens` (int64 [batch, tokens], any device) under InferenceMode
    /// (with autograd recording instead when hooks->recordsGradients()).
    /// Batches are right-padded: causality alone keeps padding from reaching real tokens, so
    /// pass pad ids after each sequence and ignore their outputs. With a cache, tokens continue
    /// the cached history (positions start at cache->length()) and every layer runs; without
    /// one, positions start at 0 and, when `logits` is None, the forward stops after the deepest
    /// layer `hooks` needs. Returns logits in the model dtype, or an undefined tensor for None.
    /// Throws c10::Error on shape errors and StatusError (OutOfMemory) when the weights it would
    /// read and its activations exceed the memory available (availableMemoryBytes()), before
    /// reading anything; callers at a Status boundary catch both.
    at::Tensor forward(const at::Tensor &tokens, HookSet *hooks = nullptr, KvCache *cache = nullptr,
                       LogitsMode logits = LogitsMode::All);

    /// Runs every later forward under torch's autocast to `type` (kBFloat16: the matmuls in bf16
    /// on the float32 weights; norms, softmax and the residual stream stay float32; logits come
    /// back in the weights' dtype). nullopt: plain.
    void setAutocast(std::optional<at::ScalarType> type) { m_autocast = type; }

    std::optional<at::ScalarType> autocast() const { return m_autocast; }

    /// An empty cache for this model.
    KvCache newCache(int64_t initialCapacity = 256) const;

    const ModelConfig &config() const { return m_config; }

    /// The weights in use: layers not yet read by a forward are undefined tensors (use
    /// ensureWeights() first), and the embedding may be in the file's dtype.
    const TransformerWeights &weights() const { return m_weights; }

    /// Reads the weights of layers 0..lastLayer (and the final norm and head with `head`) that
    /// are not in use yet. Throws StatusError naming the shard of a corrupt tensor.
    void ensureWeights(int lastLayer, bool head);

    /// The head [vocab, d] in the compute dtype (read on first use).
    const at::Tensor &outputHead();

    /// What has been read of the checkpoint so far.
    WeightTouch touched() const;

    /// Where each checkpoint tensor lives (empty for a model built from tensors).
    const WeightFootprint &footprint() const { return m_footprint; }

    at::Device device() const { return m_device; }

    at::ScalarType dtype() const { return m_dtype; }

    /// Parameters (a tied head counted once).
    int64_t parameterCount() const;

    /// Bytes of the weights on their device (a tied head counted once).
    int64_t weightBytes() const;

    /// What the final norm multiplies the normalised residual by ([d]; Gemma's 1 + w), for
    /// logit-lens directions.
    at::Tensor finalNormGain();

    /// The memory a forward of `batch` x `tokens` up to `lastLayer` (with or without the head,
    /// with `cachedTokens` already in a KV cache) would add: the weights it still has to read
    /// and its activations, with the ways to need less.
    MemoryRequest memoryRequest(int lastLayer, bool head, int64_t batch, int64_t tokens,
                                int64_t cachedTokens) const;

private:
    Transformer(ModelConfig config, TransformerWeights weights);

    /// forward() without the autocast scope.
    at::Tensor run(const at::Tensor &tokens, HookSet *hooks, KvCache *cache, LogitsMode logits);
    struct LazySource;

    /// The tensor of footprint entry `index`, read, placed and checked.
    at::Tensor readWeight(size_t index);

    /// cos/sin for positions [first, first + tokens), cast to the model dtype; `local` picks
    /// Gemma-3's table for sliding layers.
    RopeTables rope(int64_t first, int64_t tokens, bool local);

    /// The block's attention output (before any post-norm): [batch, tokens, d].
    at::Tensor attention(int layer, const at::Tensor &h, KvCache *cache, const RopeTables &rot,
                         HookSet *hooks);

    at::Tensor mlp(const LayerWeights &w, const at::Tensor &h) const;

    at::Tensor norm(const at::Tensor &x, const NormWeights &w) const;

    struct RopeCache
    {
        at::Tensor inverseFrequencies;  // fp32, CPU
        at::Tensor cos;                 // [positions, rotary_dim], model dtype; grown on demand
        at::Tensor sin;
        at::Tensor sinSigned;
    };

    ModelConfig m_config;
    TransformerWeights m_weights;
    std::optional<at::ScalarType> m_autocast;
    at::Device m_device{at::kCPU};
    at::ScalarType m_dtype = at::kFloat;
    WeightFootprint m_footprint;
    std::shared_ptr<LazySource> m_lazy;  // null: every weight is in use (built from tensors)
    RopeCache m_rope[2];                 // [0]: global layers, [1]: Gemma-3's sliding layers
};

}  // namespace gyrus::gpu::detail
