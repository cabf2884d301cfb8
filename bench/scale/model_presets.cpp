#include "bench/scale/model_presets.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace gyrus::bench {

namespace {

QByteArray fullConfig(const QString &name);

}  // namespace

QStringList presetNames()
{
    return {QStringLiteral("llama-124m"), QStringLiteral("gemma-2-2b"),
            QStringLiteral("llama-3.1-8b")};
}

QByteArray presetConfig(const QString &name)
{
    // "PRESET:N": the preset's first N layers only. A job at layer L reads layers 0..L, so a
    // checkpoint of L + 1 layers costs it what the whole model does, at a fraction of the disk
    // and of the time to write it.
    const QString base = name.section(QLatin1Char(':'), 0, 0);
    const QByteArray config = fullConfig(base);
    if (config.isEmpty() || base == name) {
        return config;
    }
    bool ok = false;
    const int layers = name.section(QLatin1Char(':'), 1).toInt(&ok);
    QJsonObject json = QJsonDocument::fromJson(config).object();
    if (!ok || layers < 1 || layers > json.value(QStringLiteral("num_hidden_layers")).toInt()) {
        return {};
    }
    json[QStringLiteral("num_hidden_layers")] = layers;
    return QJsonDocument(json).toJson();
}

namespace {

QByteArray fullConfig(const QString &name)
{
    if (name == QLatin1String("llama-124m")) {
        return R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
  "num_attention_heads": 12, "num_key_value_heads": 12, "vocab_size": 50257,
  "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
  "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16"})";
    }
    if (name == QLatin1String("gemma-2-2b")) {
        return R"({"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
  "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
  "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "vocab_size": 256000,
  "max_position_embeddings": 8192, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
  "query_pre_attn_scalar": 256, "attn_logit_softcapping": 50.0,
  "final_logit_softcapping": 30.0, "sliding_window": 4096, "cache_implementation": "hybrid",
  "hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh",
  "tie_word_embeddings": true, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
  "torch_dtype": "float32"})";
    }
    if (name == QLatin1String("llama-3.1-8b")) {
        return R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
  "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "tie_word_embeddings": false, "hidden_act": "silu", "mlp_bias": false,
  "attention_bias": false, "bos_token_id": 128000, "eos_token_id": 128001,
  "torch_dtype": "bfloat16"})";
    }
    return {};
}

}  // namespace

}  // namespace gyrus::bench
