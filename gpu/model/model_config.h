#pragma once
// The Hugging Face config.json of a Llama-family model (LlamaForCausalLM, MistralForCausalLM).
// Torch-free.

#include "core/status.h"
#include "gpu/model/safetensors.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>
#include <utility>
#include <vector>

namespace gyrus::gpu {

/// RoPE position scaling. Only "linear" (positions divided by `factor`) is supported; other
/// types are refused by loadModelConfig().
struct RopeScaling
{
    QString type = QStringLiteral("linear");
    double factor = 1.0;
};

struct ModelConfig
{
    QString architecture = QStringLiteral("LlamaForCausalLM");  ///< architectures[0]
    QString modelType = QStringLiteral("llama");                ///< "llama" or "mistral"
    int hiddenSize = 0;
    int numHiddenLayers = 0;
    int numAttentionHeads = 0;
    int numKeyValueHeads = 0;  ///< defaults to numAttentionHeads
    int intermediateSize = 0;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    std::optional<RopeScaling> ropeScaling;
    int vocabSize = 0;
    bool tieWordEmbeddings = false;
    int bosTokenId = 1;
    int eosTokenId = 2;
    int maxPositionEmbeddings = 2048;
    QString torchDtype = QStringLiteral("float32");  ///< "float32", "float16", "bfloat16"
    std::optional<int> slidingWindow;                ///< Mistral; informational only

    int headDim() const { return numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0; }
};

/// "LlamaForCausalLM", "MistralForCausalLM".
QStringList supportedArchitectures();

/// Reads and validates config.json: unknown architecture -> error listing the supported ones;
/// a missing or mistyped field -> error naming it; hidden_size not divisible by
/// num_attention_heads or heads not divisible by num_key_value_heads -> error with the numbers.
Result<ModelConfig> loadModelConfig(const QString &configJsonPath);

/// The same from bytes; `source` names them in messages.
Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &source);

/// Checks the invariants loadModelConfig() checks (for configs built in code).
Status validateModelConfig(const ModelConfig &config);

/// A config.json that transformers' LlamaConfig / MistralConfig loads (model_type,
/// architectures, every field above).
QByteArray modelConfigToJson(const ModelConfig &config);

/// Hugging Face tensor names and shapes of a Llama-family checkpoint, in file order:
/// model.embed_tokens.weight, per layer input_layernorm, self_attn.{q,k,v,o}_proj,
/// post_attention_layernorm, mlp.{gate,up,down}_proj, then model.norm.weight and lm_head.weight
/// (absent when tie_word_embeddings).
std::vector<ExpectedTensor> expectedLlamaTensors(const ModelConfig &config);

}  // namespace gyrus::gpu
