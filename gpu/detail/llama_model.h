#pragma once
// Private to gyrus_gpu (and tests/gpu). The Llama-family transformer at the tensor level: what the
// LanguageModel facade, SAE training and the analyses use when they need at::Tensor activations
// or tensor-level hook replacement.

#include "core/status.h"
#include "gpu/detail/hook_set.h"
#include "gpu/detail/kv_cache.h"
#include "gpu/detail/llama_ops.h"
#include "gpu/model/model_config.h"
#include "gpu/model/safetensors.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gyrus::gpu::detail {

/// Weights of one block, nn.Linear layout [out, in].
struct LlamaLayerWeights
{
    at::Tensor inputNorm;  ///< [d]
    at::Tensor qProj;      ///< [heads * head_dim, d]
    at::Tensor kProj;      ///< [kv_heads * head_dim, d]
    at::Tensor vProj;      ///< [kv_heads * head_dim, d]
    at::Tensor oProj;      ///< [d, heads * head_dim]
    at::Tensor postNorm;   ///< [d]
    at::Tensor gateProj;   ///< [ffn, d]
    at::Tensor upProj;     ///< [ffn, d]
    at::Tensor downProj;   ///< [d, ffn]
};

struct LlamaWeights
{
    at::Tensor embed;  ///< [vocab, d]
    std::vector<LlamaLayerWeights> layers;
    at::Tensor finalNorm;  ///< [d]
    at::Tensor lmHead;     ///< [vocab, d]; the same tensor as embed when tied
};

/// Which logits forward() computes.
enum class LogitsMode
{
    None,  ///< none: the forward may stop after the deepest hooked layer
    All,   ///< [batch, tokens, vocab]
    Last,  ///< [batch, 1, vocab], the last position only (generation)
};

/// Reports loading progress in [0, 1]; returning false cancels the load.
using LoadProgress = std::function<bool(double fraction)>;

class LlamaModel
{
public:
    /// Takes weights already on one device in one dtype; checks shapes against `config`.
    static Result<std::shared_ptr<LlamaModel>> create(const ModelConfig &config,
                                                      LlamaWeights weights);

    /// Builds the weights from Hugging Face names (expectedLlamaTensors) in `tensors`, converted
    /// to `device` and `dtype` (no copy when they already match). Errors list missing tensors
    /// and wrong shapes, and name a tensor holding NaN or infinity.
    static Result<std::shared_ptr<LlamaModel>> fromTensors(
            const ModelConfig &config, const std::map<std::string, at::Tensor> &tensors,
            at::Device device, at::ScalarType dtype, const LoadProgress &progress = {},
            bool checkFinite = true);

    /// The same from a safetensors archive (zero-copy on the CPU when the dtype matches).
    static Result<std::shared_ptr<LlamaModel>> fromArchive(const ModelConfig &config,
                                                           const SafetensorsArchive &archive,
                                                           at::Device device, at::ScalarType dtype,
                                                           const LoadProgress &progress = {},
                                                           bool checkFinite = true);

    /// Runs the transformer on `tokens` (int64 [batch, tokens], any device) under InferenceMode.
    /// Batches are right-padded: causality alone keeps padding from reaching real tokens, so
    /// pass pad ids after each sequence and ignore their outputs. With a cache, tokens continue
    /// the cached history (positions start at cache->length()) and every layer runs; without
    /// one, positions start at 0 and, when `logits` is None, the forward stops after the deepest
    /// layer `hooks` needs. Returns logits in the model dtype, or an undefined tensor for None.
    /// Throws c10::Error on shape errors (callers at a Status boundary catch it).
    at::Tensor forward(const at::Tensor &tokens, HookSet *hooks = nullptr, KvCache *cache = nullptr,
                       LogitsMode logits = LogitsMode::All);

    /// An empty cache for this model.
    KvCache newCache(int64_t initialCapacity = 256) const;

    const ModelConfig &config() const { return m_config; }

    const LlamaWeights &weights() const { return m_weights; }

    at::Device device() const { return m_weights.embed.device(); }

    at::ScalarType dtype() const { return m_weights.embed.scalar_type(); }

    /// Parameters (a tied head counted once).
    int64_t parameterCount() const;

    /// Bytes of the weights on their device (a tied head counted once).
    int64_t weightBytes() const;

private:
    LlamaModel(ModelConfig config, LlamaWeights weights);

    /// cos/sin for positions [first, first + tokens), cast to the model dtype.
    RopeTables rope(int64_t first, int64_t tokens);

    ModelConfig m_config;
    LlamaWeights m_weights;
    at::Tensor m_ropeCos;  // [positions, head_dim], model dtype; grown on demand
    at::Tensor m_ropeSin;
    at::Tensor m_ropeSinSigned;
};

}  // namespace gyrus::gpu::detail
