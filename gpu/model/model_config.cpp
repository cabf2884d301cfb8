#include "gpu/model/model_config.h"

#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace gyrus::gpu {

namespace {

using Json = nlohmann::json;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// Reads the fields of one config object, remembering the first problem with the field's name.
class FieldReader
{
public:
    FieldReader(const Json &object, QString source)
        : m_object(object)
        , m_source(std::move(source))
    {}

    bool has(const char *field) const
    {
        const auto it = m_object.find(field);
        return it != m_object.end() && !it->is_null();
    }

    // A positive integer; `required` fields must be present.
    int positiveInt(const char *field, bool required, int fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            if (required) {
                setError(QStringLiteral("missing required field \"%1\"").arg(QLatin1String(field)));
            }
            return fallback;
        }
        if (!it->is_number_integer() || it->get<qint64>() <= 0 ||
            it->get<qint64>() > std::numeric_limits<int>::max()) {
            setError(QStringLiteral("field \"%1\" must be a positive integer, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return int(it->get<qint64>());
    }

    // A token id: an integer >= 0, null (the model has none: -1), or a list (first element; newer
    // configs list several end-of-sequence ids).
    int tokenId(const char *field, int fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end()) {
            return fallback;
        }
        if (it->is_null()) {
            return -1;
        }
        const Json &value = it->is_array() && !it->empty() ? (*it)[0] : *it;
        if (!value.is_number_integer() || value.get<qint64>() < 0 ||
            value.get<qint64>() > std::numeric_limits<int>::max()) {
            setError(QStringLiteral("field \"%1\" must be a non-negative integer token id, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return int(value.get<qint64>());
    }

    double positiveNumber(const char *field, double fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_number() || !(it->get<double>() > 0.0) || !std::isfinite(it->get<double>())) {
            setError(QStringLiteral("field \"%1\" must be a positive number, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return it->get<double>();
    }

    bool boolean(const char *field, bool fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_boolean()) {
            setError(QStringLiteral("field \"%1\" must be true or false, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return it->get<bool>();
    }

    QString string(const char *field, const QString &fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_string()) {
            setError(QStringLiteral("field \"%1\" must be a string, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return q(it->get<std::string>());
    }

    void setError(const QString &message)
    {
        if (m_error.isEmpty()) {
            m_error = message;
        }
    }

    Status status() const
    {
        return m_error.isEmpty()
                       ? Status::ok()
                       : Status::invalidInput(QStringLiteral("%1: %2").arg(m_source, m_error));
    }

private:
    const Json &m_object;
    QString m_source;
    QString m_error;
};

QString architectureForModelType(const QString &modelType)
{
    if (modelType == QLatin1String("llama")) {
        return QStringLiteral("LlamaForCausalLM");
    }
    if (modelType == QLatin1String("mistral")) {
        return QStringLiteral("MistralForCausalLM");
    }
    return {};
}

}  // namespace

QStringList supportedArchitectures()
{
    return {QStringLiteral("LlamaForCausalLM"), QStringLiteral("MistralForCausalLM")};
}

Status validateModelConfig(const ModelConfig &config)
{
    if (!supportedArchitectures().contains(config.architecture)) {
        return Status::invalidInput(
                QStringLiteral("unsupported architecture '%1' (supported: %2)")
                        .arg(config.architecture,
                             supportedArchitectures().join(QStringLiteral(", "))));
    }
    const auto positive = [](int value) { return value > 0; };
    if (!positive(config.hiddenSize) || !positive(config.numHiddenLayers) ||
        !positive(config.numAttentionHeads) || !positive(config.numKeyValueHeads) ||
        !positive(config.intermediateSize) || !positive(config.vocabSize) ||
        !positive(config.maxPositionEmbeddings)) {
        return Status::invalidInput(QStringLiteral(
                "hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, "
                "intermediate_size, vocab_size and max_position_embeddings must be positive"));
    }
    if (config.hiddenSize % config.numAttentionHeads != 0) {
        return Status::invalidInput(
                QStringLiteral("hidden_size %1 is not divisible by num_attention_heads %2")
                        .arg(config.hiddenSize)
                        .arg(config.numAttentionHeads));
    }
    if (config.numAttentionHeads % config.numKeyValueHeads != 0) {
        return Status::invalidInput(
                QStringLiteral("num_attention_heads %1 is not divisible by num_key_value_heads %2")
                        .arg(config.numAttentionHeads)
                        .arg(config.numKeyValueHeads));
    }
    // RoPE rotates pairs of dimensions.
    if (config.headDim() % 2 != 0) {
        return Status::invalidInput(
                QStringLiteral("head dimension %1 (hidden_size / num_attention_heads) must be even")
                        .arg(config.headDim()));
    }
    if (!(config.rmsNormEps > 0.0) || !(config.ropeTheta > 0.0)) {
        return Status::invalidInput(QStringLiteral("rms_norm_eps and rope_theta must be positive"));
    }
    if (config.ropeScaling) {
        if (config.ropeScaling->type != QLatin1String("linear")) {
            return Status::invalidInput(
                    QStringLiteral("unsupported rope_scaling type '%1' (supported: linear)")
                            .arg(config.ropeScaling->type));
        }
        if (!(config.ropeScaling->factor > 0.0)) {
            return Status::invalidInput(QStringLiteral("rope_scaling factor must be positive"));
        }
    }
    if (config.bosTokenId >= config.vocabSize || config.eosTokenId >= config.vocabSize) {
        return Status::invalidInput(
                QStringLiteral("bos_token_id %1 / eos_token_id %2 outside the vocabulary (%3)")
                        .arg(config.bosTokenId)
                        .arg(config.eosTokenId)
                        .arg(config.vocabSize));
    }
    return Status::ok();
}

Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &source)
{
    const auto fail = [&](const QString &message) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(source, message));
    };
    Json root;
    try {
        root = Json::parse(json.constData(), json.constData() + json.size());
    } catch (const Json::parse_error &error) {
        return fail(QStringLiteral("malformed JSON: %1").arg(QString::fromUtf8(error.what())));
    }
    if (!root.is_object()) {
        return fail(QStringLiteral("not a JSON object"));
    }
    FieldReader read(root, source);
    ModelConfig config;
    config.modelType = read.string("model_type", QString());

    // architectures[0] names the class; without it, model_type says which family.
    const auto archIt = root.find("architectures");
    if (archIt != root.end() && !archIt->is_null()) {
        if (!archIt->is_array() || archIt->empty() || !(*archIt)[0].is_string()) {
            return fail(QStringLiteral("field \"architectures\" must be a list of class names, "
                                       "got %1")
                                .arg(q(archIt->dump())));
        }
        config.architecture = q((*archIt)[0].get<std::string>());
    } else {
        config.architecture = architectureForModelType(config.modelType);
        if (config.architecture.isEmpty()) {
            return fail(QStringLiteral("no \"architectures\" and model_type '%1' is not one of "
                                       "llama, mistral (supported architectures: %2)")
                                .arg(config.modelType,
                                     supportedArchitectures().join(QStringLiteral(", "))));
        }
    }
    if (!supportedArchitectures().contains(config.architecture)) {
        return fail(QStringLiteral("unsupported architecture '%1' (supported: %2)")
                            .arg(config.architecture,
                                 supportedArchitectures().join(QStringLiteral(", "))));
    }
    if (config.modelType.isEmpty()) {
        config.modelType = config.architecture == QLatin1String("MistralForCausalLM")
                                   ? QStringLiteral("mistral")
                                   : QStringLiteral("llama");
    }

    config.hiddenSize = read.positiveInt("hidden_size", true, 0);
    config.numHiddenLayers = read.positiveInt("num_hidden_layers", true, 0);
    config.numAttentionHeads = read.positiveInt("num_attention_heads", true, 0);
    config.numKeyValueHeads =
            read.positiveInt("num_key_value_heads", false, config.numAttentionHeads);
    config.intermediateSize = read.positiveInt("intermediate_size", true, 0);
    config.vocabSize = read.positiveInt("vocab_size", true, 0);
    config.maxPositionEmbeddings = read.positiveInt("max_position_embeddings", false, 2048);
    config.rmsNormEps = read.positiveNumber("rms_norm_eps", 1e-6);
    config.ropeTheta = read.positiveNumber("rope_theta", 10000.0);
    config.tieWordEmbeddings = read.boolean("tie_word_embeddings", false);
    config.bosTokenId = read.tokenId("bos_token_id", 1);
    config.eosTokenId = read.tokenId("eos_token_id", 2);
    config.torchDtype = read.string("torch_dtype", QStringLiteral("float32"));
    if (read.has("sliding_window")) {
        config.slidingWindow = read.positiveInt("sliding_window", false, 0);
    }
    // Variants our transformer does not implement are refused here, not computed wrongly later.
    const QString activation = read.string("hidden_act", QStringLiteral("silu"));
    if (activation != QLatin1String("silu")) {
        read.setError(
                QStringLiteral("unsupported hidden_act '%1' (supported: silu)").arg(activation));
    }
    if (read.boolean("attention_bias", false) || read.boolean("mlp_bias", false)) {
        read.setError(QStringLiteral("attention_bias / mlp_bias are not supported"));
    }
    if (read.has("head_dim") && config.numAttentionHeads > 0) {
        const int headDim = read.positiveInt("head_dim", false, 0);
        if (headDim != 0 && headDim != config.hiddenSize / config.numAttentionHeads) {
            read.setError(QStringLiteral("head_dim %1 differs from hidden_size / "
                                         "num_attention_heads = %2: not supported")
                                  .arg(headDim)
                                  .arg(config.hiddenSize / config.numAttentionHeads));
        }
    }
    const auto ropeIt = root.find("rope_scaling");
    if (ropeIt != root.end() && !ropeIt->is_null()) {
        if (!ropeIt->is_object()) {
            read.setError(QStringLiteral("field \"rope_scaling\" must be an object or null"));
        } else {
            FieldReader rope(*ropeIt, source);
            // transformers >= 4.43 writes "rope_type"; older files "type".
            const QString type =
                    rope.string("rope_type", rope.string("type", QStringLiteral("default")));
            if (type != QLatin1String("default")) {
                if (type != QLatin1String("linear")) {
                    read.setError(QStringLiteral("unsupported rope_scaling type '%1' (supported: "
                                                 "linear)")
                                          .arg(type));
                }
                RopeScaling scaling;
                scaling.type = type;
                scaling.factor = rope.positiveNumber("factor", 0.0);
                if (!rope.has("factor")) {
                    read.setError(QStringLiteral("missing required field \"rope_scaling.factor\""));
                }
                if (Status status = rope.status(); !status.isOk()) {
                    return status;
                }
                config.ropeScaling = scaling;
            }
        }
    }
    if (Status status = read.status(); !status.isOk()) {
        return status;
    }
    if (Status status = validateModelConfig(config); !status.isOk()) {
        return status.withContext(source);
    }
    return config;
}

Result<ModelConfig> loadModelConfig(const QString &configJsonPath)
{
    QFile file(configJsonPath);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(configJsonPath));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open: %2").arg(configJsonPath, file.errorString()));
    }
    return parseModelConfig(file.readAll(), configJsonPath);
}

QByteArray modelConfigToJson(const ModelConfig &config)
{
    nlohmann::ordered_json json;
    json["architectures"] = {config.architecture.toStdString()};
    json["model_type"] = config.modelType.toStdString();
    json["hidden_size"] = config.hiddenSize;
    json["intermediate_size"] = config.intermediateSize;
    json["num_hidden_layers"] = config.numHiddenLayers;
    json["num_attention_heads"] = config.numAttentionHeads;
    json["num_key_value_heads"] = config.numKeyValueHeads;
    json["hidden_act"] = "silu";
    json["max_position_embeddings"] = config.maxPositionEmbeddings;
    json["rms_norm_eps"] = config.rmsNormEps;
    json["rope_theta"] = config.ropeTheta;
    if (config.ropeScaling) {
        // Exactly these two keys: transformers before 4.43 rejects any other shape.
        json["rope_scaling"] = {{"type", config.ropeScaling->type.toStdString()},
                                {"factor", config.ropeScaling->factor}};
    } else {
        json["rope_scaling"] = nullptr;
    }
    json["vocab_size"] = config.vocabSize;
    json["tie_word_embeddings"] = config.tieWordEmbeddings;
    json["bos_token_id"] = config.bosTokenId >= 0 ? Json(config.bosTokenId) : Json(nullptr);
    json["eos_token_id"] = config.eosTokenId >= 0 ? Json(config.eosTokenId) : Json(nullptr);
    json["torch_dtype"] = config.torchDtype.toStdString();
    json["attention_bias"] = false;
    json["initializer_range"] = 0.02;
    json["use_cache"] = true;
    if (config.modelType == QLatin1String("mistral")) {
        json["sliding_window"] = config.slidingWindow ? Json(*config.slidingWindow) : Json(nullptr);
    } else {
        json["pretraining_tp"] = 1;
    }
    return QByteArray::fromStdString(json.dump(2) + "\n");
}

std::vector<ExpectedTensor> expectedLlamaTensors(const ModelConfig &config)
{
    const qint64 hidden = config.hiddenSize;
    const qint64 headDim = config.headDim();
    const qint64 qDim = qint64(config.numAttentionHeads) * headDim;
    const qint64 kvDim = qint64(config.numKeyValueHeads) * headDim;
    const qint64 inter = config.intermediateSize;
    std::vector<ExpectedTensor> tensors;
    tensors.reserve(size_t(config.numHiddenLayers) * 9 + 3);
    tensors.push_back({QStringLiteral("model.embed_tokens.weight"), {config.vocabSize, hidden}});
    for (int layer = 0; layer < config.numHiddenLayers; ++layer) {
        const QString prefix = QStringLiteral("model.layers.%1.").arg(layer);
        tensors.push_back({prefix + QStringLiteral("input_layernorm.weight"), {hidden}});
        tensors.push_back({prefix + QStringLiteral("self_attn.q_proj.weight"), {qDim, hidden}});
        tensors.push_back({prefix + QStringLiteral("self_attn.k_proj.weight"), {kvDim, hidden}});
        tensors.push_back({prefix + QStringLiteral("self_attn.v_proj.weight"), {kvDim, hidden}});
        tensors.push_back({prefix + QStringLiteral("self_attn.o_proj.weight"), {hidden, qDim}});
        tensors.push_back({prefix + QStringLiteral("post_attention_layernorm.weight"), {hidden}});
        tensors.push_back({prefix + QStringLiteral("mlp.gate_proj.weight"), {inter, hidden}});
        tensors.push_back({prefix + QStringLiteral("mlp.up_proj.weight"), {inter, hidden}});
        tensors.push_back({prefix + QStringLiteral("mlp.down_proj.weight"), {hidden, inter}});
    }
    tensors.push_back({QStringLiteral("model.norm.weight"), {hidden}});
    if (!config.tieWordEmbeddings) {
        tensors.push_back({QStringLiteral("lm_head.weight"), {config.vocabSize, hidden}});
    }
    return tensors;
}

}  // namespace gyrus::gpu
