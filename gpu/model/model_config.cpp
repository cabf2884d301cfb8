#include "gpu/model/model_config.h"

#include "gpu/model/config_fields.h"
#include "gpu/model/family_fields.h"

#include <QFile>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace gyrus::gpu {

namespace {

using config_fields::FieldReader;
using config_fields::Json;
using config_fields::q;

struct FamilyEntry
{
    const char *modelType;
    ModelFamily family;
    const char *architecture;
};

// One line per model_type: what config.json's model_type and architectures[0] may say.
constexpr FamilyEntry kFamilies[] = {
        {"llama", ModelFamily::Llama, "LlamaForCausalLM"},
        {"mistral", ModelFamily::Mistral, "MistralForCausalLM"},
        {"gpt2", ModelFamily::Gpt2, "GPT2LMHeadModel"},
        {"gemma2", ModelFamily::Gemma2, "Gemma2ForCausalLM"},
        {"gemma3_text", ModelFamily::Gemma3, "Gemma3ForCausalLM"},
        {"gemma3", ModelFamily::Gemma3, "Gemma3ForConditionalGeneration"},
        {"qwen2", ModelFamily::Qwen2, "Qwen2ForCausalLM"},
        {"qwen3", ModelFamily::Qwen3, "Qwen3ForCausalLM"},
        {"gpt_neox", ModelFamily::GptNeox, "GPTNeoXForCausalLM"},
};

const FamilyEntry *entryForModelType(const QString &modelType)
{
    for (const FamilyEntry &entry : kFamilies) {
        if (modelType == QLatin1String(entry.modelType)) {
            return &entry;
        }
    }
    return nullptr;
}

const FamilyEntry *entryForArchitecture(const QString &architecture)
{
    for (const FamilyEntry &entry : kFamilies) {
        if (architecture == QLatin1String(entry.architecture)) {
            return &entry;
        }
    }
    return nullptr;
}

}  // namespace

QStringList supportedArchitectures()
{
    QStringList names;
    for (const FamilyEntry &entry : kFamilies) {
        names << QLatin1String(entry.architecture);
    }
    return names;
}

QStringList supportedModelTypes()
{
    QStringList names;
    for (const FamilyEntry &entry : kFamilies) {
        names << QLatin1String(entry.modelType);
    }
    return names;
}

int ModelConfig::rotaryDim() const
{
    if (learnedPositions) {
        return 0;
    }
    // Hugging Face GPT-NeoX: int(head_size * rotary_pct).
    return static_cast<int>(static_cast<double>(headDim()) * rotaryFraction);
}

bool ModelConfig::layerSlides(int layer) const
{
    if (!slidingWindow) {
        return false;
    }
    if (slidingLayers.empty()) {
        return true;
    }
    return layer >= 0 && layer < static_cast<int>(slidingLayers.size()) &&
           slidingLayers[size_t(layer)];
}

double ModelConfig::attentionScale() const
{
    const double base = queryPreAttnScalar > 0.0 ? queryPreAttnScalar : double(headDim());
    return 1.0 / std::sqrt(base);
}

HookLayout hookLayout(const ModelConfig &config)
{
    HookLayout layout;
    layout.layers = config.numHiddenLayers;
    layout.posEmbed = config.learnedPositions;
    layout.residMid = !config.parallelResidual;
    return layout;
}

QString familyName(ModelFamily family)
{
    for (const FamilyEntry &entry : kFamilies) {
        if (entry.family == family) {
            return family == ModelFamily::Gemma3 ? QStringLiteral("gemma3")
                                                 : QLatin1String(entry.modelType);
        }
    }
    return QString();
}

QStringList familyQuirks(const ModelConfig &c)
{
    QStringList quirks;
    const auto number = [](double value) { return QString::number(value, 'g', 8); };
    if (c.learnedPositions) {
        quirks << QStringLiteral("learned positions (hook_pos_embed)");
    }
    if (c.qkvLayout == QkvLayout::Conv1dFused) {
        quirks << QStringLiteral("Conv1D weights [in, out]");
    }
    if (c.qkvLayout == QkvLayout::PerHeadFused) {
        quirks << QStringLiteral("fused per-head QKV");
    }
    if (c.parallelResidual) {
        quirks << QStringLiteral("parallel residual (no hook_resid_mid)");
    }
    if (c.norm == NormKind::RmsOffset) {
        quirks << QStringLiteral("RMSNorm with (1 + w)");
    }
    if (c.sandwichNorms) {
        quirks << QStringLiteral("norms after attention and MLP");
    }
    if (c.scaleEmbeddings) {
        quirks << QStringLiteral("embedding x sqrt(d_model)");
    }
    if (c.qkNorm) {
        quirks << QStringLiteral("q/k norm per head");
    }
    if (!c.learnedPositions && c.rotaryDim() < c.headDim()) {
        quirks << QStringLiteral("partial rotary (%1 of %2 dims)")
                          .arg(c.rotaryDim())
                          .arg(c.headDim());
    }
    if (c.ropeScaling) {
        quirks << QStringLiteral("RoPE scaling %1 x%2")
                          .arg(c.ropeScaling->type, number(c.ropeScaling->factor));
    }
    if (c.ropeLocalTheta > 0.0) {
        quirks << QStringLiteral("RoPE base %1 global, %2 sliding")
                          .arg(number(c.ropeTheta), number(c.ropeLocalTheta));
    }
    if (c.queryPreAttnScalar > 0.0) {
        quirks << QStringLiteral("attention scale %1^-1/2").arg(number(c.queryPreAttnScalar));
    }
    if (c.attnLogitSoftcap > 0.0) {
        quirks << QStringLiteral("attention soft-cap %1").arg(number(c.attnLogitSoftcap));
    }
    if (c.finalLogitSoftcap > 0.0) {
        quirks << QStringLiteral("logit soft-cap %1").arg(number(c.finalLogitSoftcap));
    }
    if (c.slidingWindow) {
        int sliding = 0;
        for (int layer = 0; layer < c.numHiddenLayers; ++layer) {
            sliding += c.layerSlides(layer) ? 1 : 0;
        }
        if (sliding > 0) {
            quirks << QStringLiteral("sliding window %1 on %2 of %3 layers")
                              .arg(*c.slidingWindow)
                              .arg(sliding)
                              .arg(c.numHiddenLayers);
        }
    }
    if (c.numKeyValueHeads < c.numAttentionHeads) {
        quirks << QStringLiteral("grouped-query attention (%1 kv heads)").arg(c.numKeyValueHeads);
    }
    if (c.qkvBias && c.qkvLayout == QkvLayout::Separate) {
        quirks << QStringLiteral("q/k/v biases");
    }
    quirks << c.notes;
    return quirks;
}

QString bosRule(const ModelConfig &c)
{
    switch (c.family) {
        case ModelFamily::Gpt2:
            return QStringLiteral(
                           "Hugging Face adds no BOS; TransformerLens-trained SAEs with "
                           "prepend_bos expect <|endoftext|> (id %1) first")
                    .arg(c.bosTokenId);
        case ModelFamily::GptNeox:
        case ModelFamily::Qwen2:
        case ModelFamily::Qwen3:
            return QStringLiteral("Hugging Face adds no BOS");
        default:
            return c.bosTokenId >= 0
                           ? QStringLiteral("Hugging Face prepends BOS (id %1)").arg(c.bosTokenId)
                           : QStringLiteral("no BOS token");
    }
}

bool centringApplies(const ModelConfig &config)
{
    return config.norm == NormKind::Layer;
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
    if (config.explicitHeadDim == 0 && config.hiddenSize % config.numAttentionHeads != 0) {
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
    if (!config.learnedPositions && (config.rotaryDim() % 2 != 0 || config.rotaryDim() == 0)) {
        return Status::invalidInput(
                QStringLiteral("rotary dimension %1 (of head dimension %2) must be even and "
                               "positive")
                        .arg(config.rotaryDim())
                        .arg(config.headDim()));
    }
    if (!(config.rmsNormEps > 0.0) || !(config.ropeTheta > 0.0)) {
        return Status::invalidInput(QStringLiteral("rms_norm_eps and rope_theta must be positive"));
    }
    if (config.ropeScaling) {
        if (config.ropeScaling->type != QLatin1String("linear") &&
            config.ropeScaling->type != QLatin1String("llama3")) {
            return Status::invalidInput(
                    QStringLiteral("unsupported rope_scaling type '%1' (supported: linear, llama3)")
                            .arg(config.ropeScaling->type));
        }
        if (!(config.ropeScaling->factor > 0.0)) {
            return Status::invalidInput(QStringLiteral("rope_scaling factor must be positive"));
        }
    }
    if (!config.slidingLayers.empty() &&
        static_cast<int>(config.slidingLayers.size()) != config.numHiddenLayers) {
        return Status::invalidInput(QStringLiteral("%1 layer types for %2 layers")
                                            .arg(config.slidingLayers.size())
                                            .arg(config.numHiddenLayers));
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
    } catch (const Json::exception &error) {  // parse_error, or out_of_range for 1e605
        return fail(QStringLiteral("malformed JSON: %1").arg(QString::fromUtf8(error.what())));
    }
    if (!root.is_object()) {
        return fail(QStringLiteral("not a JSON object"));
    }
    FieldReader read(root, source);
    ModelConfig config;
    config.modelType = read.string("model_type", QString());
    if (Status status = read.status(); !status.isOk()) {
        return status;
    }

    // architectures[0] names the class; model_type says which family (either may be missing).
    const auto archIt = root.find("architectures");
    QString architecture;
    if (archIt != root.end() && !archIt->is_null()) {
        if (!archIt->is_array() || archIt->empty() || !(*archIt)[0].is_string()) {
            return fail(QStringLiteral("field \"architectures\" must be a list of class names, "
                                       "got %1")
                                .arg(q(archIt->dump())));
        }
        architecture = q((*archIt)[0].get<std::string>());
    }
    const FamilyEntry *byType = entryForModelType(config.modelType);
    const FamilyEntry *byArch = entryForArchitecture(architecture);
    if (!config.modelType.isEmpty() && !byType) {
        return fail(
                QStringLiteral("unsupported model_type '%1' (supported: %2)")
                        .arg(config.modelType, supportedModelTypes().join(QStringLiteral(", "))));
    }
    if (!architecture.isEmpty() && !byArch) {
        return fail(
                QStringLiteral("unsupported architecture '%1' (supported: %2)")
                        .arg(architecture, supportedArchitectures().join(QStringLiteral(", "))));
    }
    if (!byType && !byArch) {
        return fail(QStringLiteral("neither \"model_type\" nor \"architectures\" says which model "
                                   "this is (supported model types: %1)")
                            .arg(supportedModelTypes().join(QStringLiteral(", "))));
    }
    if (byType && byArch && byType->family != byArch->family) {
        return fail(QStringLiteral("architecture '%1' contradicts model_type '%2'")
                            .arg(architecture, config.modelType));
    }
    const FamilyEntry &entry = byType ? *byType : *byArch;
    config.family = entry.family;
    config.modelType = QLatin1String(entry.modelType);
    config.architecture = architecture.isEmpty() ? QLatin1String(entry.architecture) : architecture;

    // A multimodal Gemma-3 keeps its language model in text_config.
    const Json *fields = &root;
    const bool nested = config.modelType == QLatin1String("gemma3");
    if (nested) {
        const auto text = root.find("text_config");
        if (text == root.end() || !text->is_object()) {
            return fail(QStringLiteral("model_type gemma3 needs a \"text_config\" object"));
        }
        fields = &*text;
        config.notes << QStringLiteral("vision tower ignored (text only)");
    }
    FieldReader familyRead(*fields, source);
    family_fields::readFamily(config.family, familyRead, *fields, nested, config);
    if (nested) {
        // Token ids may sit at the top level of a multimodal config.
        config.bosTokenId = read.tokenId("bos_token_id", config.bosTokenId);
        config.eosTokenId = read.tokenId("eos_token_id", config.eosTokenId);
        // Gemma3ForConditionalGeneration's head never soft-caps, whatever text_config says
        // (Gemma3ForCausalLM does); released configs say null, so this only keeps parity.
        if (config.finalLogitSoftcap > 0.0) {
            config.notes << QStringLiteral(
                                    "text_config final_logit_softcapping %1 ignored, as "
                                    "Gemma3ForConditionalGeneration ignores it")
                                    .arg(config.finalLogitSoftcap);
            config.finalLogitSoftcap = 0.0;
        }
    }
    for (const Status &status : {familyRead.status(), read.status()}) {
        if (!status.isOk()) {
            return status;
        }
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
    if (config.explicitHeadDim > 0) {
        json["head_dim"] = config.explicitHeadDim;
    }
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

}  // namespace gyrus::gpu
