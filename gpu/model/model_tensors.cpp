// The Hugging Face tensor names of every supported family, in one table per family.

#include "gpu/model/model_config.h"

namespace gyrus::gpu {

namespace {

class TensorList
{
public:
    explicit TensorList(std::vector<ModelTensor> &out)
        : m_out(out)
    {}

    void add(const QString &name, QVector<qint64> shape, WeightRole role, int layer = -1)
    {
        m_out.push_back({name, std::move(shape), role, layer});
    }

    /// A layer tensor: prefix + suffix.
    void layer(int layer, const QString &prefix, const char *suffix, QVector<qint64> shape,
               WeightRole role)
    {
        add(prefix + QLatin1String(suffix), std::move(shape), role, layer);
    }

private:
    std::vector<ModelTensor> &m_out;
};

/// The usual root of the language model's tensors; the head (when untied) lives outside it.
QString canonicalRoot(ModelFamily family)
{
    switch (family) {
        case ModelFamily::Gpt2:
            return QStringLiteral("transformer.");
        case ModelFamily::GptNeox:
            return QStringLiteral("gpt_neox.");
        default:
            return QStringLiteral("model.");
    }
}

QString headName(ModelFamily family)
{
    return family == ModelFamily::GptNeox ? QStringLiteral("embed_out.weight")
                                          : QStringLiteral("lm_head.weight");
}

// Llama, Mistral, Qwen2/3 and Gemma-2/3 share names; Gemma adds norms after attention and MLP
// and renames the pre-MLP norm.
void decoderLayerTensors(const ModelConfig &c, TensorList &list)
{
    const qint64 d = c.hiddenSize;
    const qint64 hd = c.headDim();
    const qint64 qDim = qint64(c.numAttentionHeads) * hd;
    const qint64 kvDim = qint64(c.numKeyValueHeads) * hd;
    const qint64 f = c.intermediateSize;
    list.add(QStringLiteral("model.embed_tokens.weight"), {c.vocabSize, d}, WeightRole::Embed);
    for (int i = 0; i < c.numHiddenLayers; ++i) {
        const QString p = QStringLiteral("model.layers.%1.").arg(i);
        list.layer(i, p, "input_layernorm.weight", {d}, WeightRole::AttnNorm);
        list.layer(i, p, "self_attn.q_proj.weight", {qDim, d}, WeightRole::Q);
        if (c.qkvBias) {
            list.layer(i, p, "self_attn.q_proj.bias", {qDim}, WeightRole::QBias);
        }
        list.layer(i, p, "self_attn.k_proj.weight", {kvDim, d}, WeightRole::K);
        if (c.qkvBias) {
            list.layer(i, p, "self_attn.k_proj.bias", {kvDim}, WeightRole::KBias);
        }
        list.layer(i, p, "self_attn.v_proj.weight", {kvDim, d}, WeightRole::V);
        if (c.qkvBias) {
            list.layer(i, p, "self_attn.v_proj.bias", {kvDim}, WeightRole::VBias);
        }
        list.layer(i, p, "self_attn.o_proj.weight", {d, qDim}, WeightRole::O);
        if (c.outputBias) {
            list.layer(i, p, "self_attn.o_proj.bias", {d}, WeightRole::OBias);
        }
        if (c.qkNorm) {
            list.layer(i, p, "self_attn.q_norm.weight", {hd}, WeightRole::QNorm);
            list.layer(i, p, "self_attn.k_norm.weight", {hd}, WeightRole::KNorm);
        }
        if (c.sandwichNorms) {
            // Gemma-2/3: post_attention_layernorm normalises the attention output.
            list.layer(i, p, "post_attention_layernorm.weight", {d}, WeightRole::AttnPostNorm);
            list.layer(i, p, "pre_feedforward_layernorm.weight", {d}, WeightRole::MlpNorm);
        } else {
            list.layer(i, p, "post_attention_layernorm.weight", {d}, WeightRole::MlpNorm);
        }
        list.layer(i, p, "mlp.gate_proj.weight", {f, d}, WeightRole::Gate);
        if (c.mlpBias) {
            list.layer(i, p, "mlp.gate_proj.bias", {f}, WeightRole::GateBias);
        }
        list.layer(i, p, "mlp.up_proj.weight", {f, d}, WeightRole::Up);
        if (c.mlpBias) {
            list.layer(i, p, "mlp.up_proj.bias", {f}, WeightRole::UpBias);
        }
        list.layer(i, p, "mlp.down_proj.weight", {d, f}, WeightRole::Down);
        if (c.mlpBias) {
            list.layer(i, p, "mlp.down_proj.bias", {d}, WeightRole::DownBias);
        }
        if (c.sandwichNorms) {
            list.layer(i, p, "post_feedforward_layernorm.weight", {d}, WeightRole::MlpPostNorm);
        }
    }
    list.add(QStringLiteral("model.norm.weight"), {d}, WeightRole::FinalNorm);
}

// GPT-2's Conv1D weights are stored [in, out].
void gpt2Tensors(const ModelConfig &c, TensorList &list)
{
    const qint64 d = c.hiddenSize;
    const qint64 f = c.intermediateSize;
    list.add(QStringLiteral("transformer.wte.weight"), {c.vocabSize, d}, WeightRole::Embed);
    list.add(QStringLiteral("transformer.wpe.weight"), {c.maxPositionEmbeddings, d},
             WeightRole::PosEmbed);
    for (int i = 0; i < c.numHiddenLayers; ++i) {
        const QString p = QStringLiteral("transformer.h.%1.").arg(i);
        list.layer(i, p, "ln_1.weight", {d}, WeightRole::AttnNorm);
        list.layer(i, p, "ln_1.bias", {d}, WeightRole::AttnNormBias);
        list.layer(i, p, "attn.c_attn.weight", {d, 3 * d}, WeightRole::Qkv);
        list.layer(i, p, "attn.c_attn.bias", {3 * d}, WeightRole::QkvBias);
        list.layer(i, p, "attn.c_proj.weight", {d, d}, WeightRole::O);
        list.layer(i, p, "attn.c_proj.bias", {d}, WeightRole::OBias);
        list.layer(i, p, "ln_2.weight", {d}, WeightRole::MlpNorm);
        list.layer(i, p, "ln_2.bias", {d}, WeightRole::MlpNormBias);
        list.layer(i, p, "mlp.c_fc.weight", {d, f}, WeightRole::Up);
        list.layer(i, p, "mlp.c_fc.bias", {f}, WeightRole::UpBias);
        list.layer(i, p, "mlp.c_proj.weight", {f, d}, WeightRole::Down);
        list.layer(i, p, "mlp.c_proj.bias", {d}, WeightRole::DownBias);
    }
    list.add(QStringLiteral("transformer.ln_f.weight"), {d}, WeightRole::FinalNorm);
    list.add(QStringLiteral("transformer.ln_f.bias"), {d}, WeightRole::FinalNormBias);
}

void gptNeoxTensors(const ModelConfig &c, TensorList &list)
{
    const qint64 d = c.hiddenSize;
    const qint64 f = c.intermediateSize;
    list.add(QStringLiteral("gpt_neox.embed_in.weight"), {c.vocabSize, d}, WeightRole::Embed);
    for (int i = 0; i < c.numHiddenLayers; ++i) {
        const QString p = QStringLiteral("gpt_neox.layers.%1.").arg(i);
        list.layer(i, p, "input_layernorm.weight", {d}, WeightRole::AttnNorm);
        list.layer(i, p, "input_layernorm.bias", {d}, WeightRole::AttnNormBias);
        list.layer(i, p, "post_attention_layernorm.weight", {d}, WeightRole::MlpNorm);
        list.layer(i, p, "post_attention_layernorm.bias", {d}, WeightRole::MlpNormBias);
        list.layer(i, p, "attention.query_key_value.weight", {3 * d, d}, WeightRole::Qkv);
        if (c.qkvBias) {
            list.layer(i, p, "attention.query_key_value.bias", {3 * d}, WeightRole::QkvBias);
        }
        list.layer(i, p, "attention.dense.weight", {d, d}, WeightRole::O);
        if (c.outputBias) {
            list.layer(i, p, "attention.dense.bias", {d}, WeightRole::OBias);
        }
        list.layer(i, p, "mlp.dense_h_to_4h.weight", {f, d}, WeightRole::Up);
        list.layer(i, p, "mlp.dense_h_to_4h.bias", {f}, WeightRole::UpBias);
        list.layer(i, p, "mlp.dense_4h_to_h.weight", {d, f}, WeightRole::Down);
        list.layer(i, p, "mlp.dense_4h_to_h.bias", {d}, WeightRole::DownBias);
    }
    list.add(QStringLiteral("gpt_neox.final_layer_norm.weight"), {d}, WeightRole::FinalNorm);
    list.add(QStringLiteral("gpt_neox.final_layer_norm.bias"), {d}, WeightRole::FinalNormBias);
}

}  // namespace

std::vector<ModelTensor> modelTensors(const ModelConfig &config)
{
    std::vector<ModelTensor> tensors;
    TensorList list(tensors);
    switch (config.family) {
        case ModelFamily::Gpt2:
            gpt2Tensors(config, list);
            break;
        case ModelFamily::GptNeox:
            gptNeoxTensors(config, list);
            break;
        default:
            decoderLayerTensors(config, list);
            break;
    }
    if (!config.tieWordEmbeddings) {
        list.add(headName(config.family), {config.vocabSize, config.hiddenSize},
                 WeightRole::LmHead);
    }
    return tensors;
}

std::vector<ExpectedTensor> expectedTensors(const ModelConfig &config)
{
    std::vector<ExpectedTensor> expected;
    for (ModelTensor &tensor : modelTensors(config)) {
        expected.emplace_back(std::move(tensor.name), std::move(tensor.shape));
    }
    return expected;
}

std::optional<QString> detectTensorRoot(const ModelConfig &config,
                                        const std::function<bool(const QString &)> &has)
{
    const QString root = canonicalRoot(config.family);
    const std::vector<ModelTensor> tensors = modelTensors(config);
    const QString embed = tensors.front().name.mid(root.size());
    if (has(root + embed)) {
        return std::nullopt;
    }
    QStringList alternatives;
    if (config.family == ModelFamily::Gpt2) {
        alternatives << QString(QLatin1String(""));  // openai-community/gpt2 has no prefix
    } else if (config.family == ModelFamily::Gemma3) {
        // Gemma3ForConditionalGeneration before and after transformers 4.52.
        alternatives << QStringLiteral("language_model.model.")
                     << QStringLiteral("model.language_model.");
    }
    for (const QString &alternative : alternatives) {
        if (has(alternative + embed)) {
            return alternative;
        }
    }
    return std::nullopt;
}

QString checkpointName(const ModelConfig &config, const ModelTensor &tensor)
{
    if (!config.tensorRoot) {
        return tensor.name;
    }
    const QString root = canonicalRoot(config.family);
    if (tensor.name.startsWith(root)) {
        return *config.tensorRoot + tensor.name.mid(root.size());
    }
    if (*config.tensorRoot == QLatin1String("language_model.model.")) {
        return QStringLiteral("language_model.") + tensor.name;
    }
    return tensor.name;
}

}  // namespace gyrus::gpu
