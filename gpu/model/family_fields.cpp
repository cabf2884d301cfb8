#include "gpu/model/family_fields.h"

namespace gyrus::gpu::family_fields {

namespace {

using config_fields::FieldReader;
using config_fields::Json;

struct ActivationName
{
    const char *name;
    Activation activation;
};

constexpr ActivationName kActivations[] = {
        {"silu", Activation::Silu},
        {"swish", Activation::Silu},
        {"gelu_pytorch_tanh", Activation::GeluTanh},
        {"gelu_new", Activation::GeluNew},
        {"gelu", Activation::GeluErf},
};

void readActivation(FieldReader &read, const char *field, const QString &name, ModelConfig &config)
{
    for (const ActivationName &entry : kActivations) {
        if (name == QLatin1String(entry.name)) {
            config.activation = entry.activation;
            return;
        }
    }
    read.setError(QStringLiteral("unsupported %1 '%2' (supported: silu, gelu_pytorch_tanh, "
                                 "gelu_new, gelu)")
                          .arg(QLatin1String(field), name));
}

/// Reads one RoPE settings object, `rope` (config field `field`: "rope_scaling",
/// "rope_parameters" or "rope_parameters.full_attention"): its type and scaling factors. The
/// type "default" leaves the frequencies unscaled.
void readRopeScaling(FieldReader &read, const Json &rope, const QString &field,
                     const QString &source, ModelConfig &config)
{
    if (!rope.is_object()) {
        read.setError(QStringLiteral("field \"%1\" must be an object or null").arg(field));
        return;
    }
    FieldReader fields(rope, source);
    // transformers >= 4.43 writes "rope_type"; older files "type".
    const QString type =
            fields.string("rope_type", fields.string("type", QStringLiteral("default")));
    if (type == QLatin1String("default")) {
        return;
    }
    if (type == QLatin1String("dynamic")) {
        read.setError(QStringLiteral("%1 type 'dynamic' is not implemented (its frequencies "
                                     "change with the sequence length); supported: linear, llama3")
                              .arg(field));
        return;
    }
    if (type != QLatin1String("linear") && type != QLatin1String("llama3")) {
        read.setError(QStringLiteral("unsupported %1 type '%2' (supported: linear, llama3)")
                              .arg(field, type));
        return;
    }
    RopeScaling scaling;
    scaling.type = type;
    for (const char *name :
         {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
        // transformers 5 fills original_max_position_embeddings from max_position_embeddings.
        const bool defaulted = QLatin1String(name) == QLatin1String(
                                                              "original_max_position_"
                                                              "embeddings") &&
                               field.startsWith(QLatin1String("rope_parameters"));
        if (!fields.has(name) && !defaulted &&
            (type == QLatin1String("llama3") || name[0] == 'f')) {
            read.setError(QStringLiteral("missing required field \"%1.%2\" for rope_type %3")
                                  .arg(field, QLatin1String(name), type));
            return;
        }
    }
    scaling.factor = fields.positiveNumber("factor", 1.0);
    if (type == QLatin1String("llama3")) {
        scaling.lowFreqFactor = fields.positiveNumber("low_freq_factor", 1.0);
        scaling.highFreqFactor = fields.positiveNumber("high_freq_factor", 4.0);
        scaling.originalMaxPositionEmbeddings = fields.positiveInt(
                "original_max_position_embeddings", false, config.maxPositionEmbeddings);
        if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) {
            fields.setError(QStringLiteral("%1.high_freq_factor %2 must exceed low_freq_factor %3")
                                    .arg(field)
                                    .arg(scaling.highFreqFactor)
                                    .arg(scaling.lowFreqFactor));
        }
    }
    if (Status status = fields.status(); !status.isOk()) {
        read.setError(status.message().section(QStringLiteral(": "), 1));
        return;
    }
    config.ropeScaling = scaling;
}

/// RoPE as transformers < 5 writes it (rope_theta, rope_scaling) or as 5.x does
/// (rope_parameters {rope_type, rope_theta, factor, ..., partial_rotary_factor}); a
/// rope_scaling present wins, as transformers 5 lets it. `layerType` names the nested entry
/// of per-layer-type parameters (Gemma-3: "full_attention"); the others use the flat object.
/// Sets ropeTheta (already read from the top level, the fallback), the scaling and, for
/// GPT-NeoX, the rotary fraction.
void readRope(FieldReader &read, const Json &object, const QString &source, ModelConfig &config,
              const char *layerType = nullptr)
{
    const auto legacy = object.find("rope_scaling");
    const bool hasLegacy = legacy != object.end() && !legacy->is_null();
    if (hasLegacy) {
        readRopeScaling(read, *legacy, QStringLiteral("rope_scaling"), source, config);
    }
    const auto it = object.find("rope_parameters");
    if (it == object.end() || it->is_null()) {
        return;
    }
    if (!it->is_object()) {
        read.setError(QStringLiteral("field \"rope_parameters\" must be an object or null"));
        return;
    }
    const Json *rope = &*it;
    QString field = QStringLiteral("rope_parameters");
    if (layerType && rope->contains(layerType)) {
        rope = &(*rope)[layerType];
        field += QLatin1Char('.') + QLatin1String(layerType);
        if (rope->is_null()) {
            return;
        }
    }
    if (!rope->is_object()) {
        read.setError(QStringLiteral("field \"%1\" must be an object or null").arg(field));
        return;
    }
    FieldReader fields(*rope, source);
    config.ropeTheta = fields.positiveNumber("rope_theta", config.ropeTheta);
    if (fields.has("partial_rotary_factor")) {
        config.rotaryFraction = fields.fraction("partial_rotary_factor", config.rotaryFraction);
    }
    if (Status status = fields.status(); !status.isOk()) {
        read.setError(status.message().section(QStringLiteral(": "), 1));
        return;
    }
    if (!hasLegacy) {
        readRopeScaling(read, *rope, field, source, config);
    }
}

/// Gemma-3's sliding layers under transformers 5: rope_parameters.sliding_attention holds their
/// base (rope_local_base_freq before); Gyrus never scales them, nor does any released config.
void readLocalRope(FieldReader &read, const Json &object, const QString &source,
                   ModelConfig &config)
{
    const auto it = object.find("rope_parameters");
    if (it == object.end() || !it->is_object() || !it->contains("sliding_attention") ||
        (*it)["sliding_attention"].is_null()) {
        return;
    }
    const Json &local = (*it)["sliding_attention"];
    if (!local.is_object()) {
        read.setError(QStringLiteral(
                "field \"rope_parameters.sliding_attention\" must be an object or null"));
        return;
    }
    FieldReader fields(local, source);
    config.ropeLocalTheta = fields.positiveNumber("rope_theta", config.ropeLocalTheta);
    const QString type =
            fields.string("rope_type", fields.string("type", QStringLiteral("default")));
    if (type != QLatin1String("default")) {
        fields.setError(QStringLiteral("rope_parameters.sliding_attention type '%1' is not "
                                       "supported (sliding layers use unscaled RoPE)")
                                .arg(type));
    }
    if (Status status = fields.status(); !status.isOk()) {
        read.setError(status.message().section(QStringLiteral(": "), 1));
    }
}

/// layer_types when given, else `fallback(layer)`; "sliding_attention" layers slide.
void readLayerTypes(FieldReader &read, const std::function<bool(int)> &fallback,
                    ModelConfig &config)
{
    const std::vector<QString> types = read.stringList("layer_types");
    config.slidingLayers.assign(size_t(std::max(config.numHiddenLayers, 0)), false);
    if (types.empty()) {
        for (int layer = 0; layer < config.numHiddenLayers; ++layer) {
            config.slidingLayers[size_t(layer)] = fallback(layer);
        }
        return;
    }
    if (int(types.size()) != config.numHiddenLayers) {
        read.setError(
                QStringLiteral("field \"layer_types\" has %1 entries, num_hidden_layers is %2")
                        .arg(types.size())
                        .arg(config.numHiddenLayers));
        return;
    }
    for (size_t layer = 0; layer < types.size(); ++layer) {
        if (types[layer] == QLatin1String("sliding_attention")) {
            config.slidingLayers[layer] = true;
        } else if (types[layer] != QLatin1String("full_attention")) {
            read.setError(QStringLiteral("field \"layer_types\": unknown type '%1' (expected "
                                         "sliding_attention or full_attention)")
                                  .arg(types[layer]));
            return;
        }
    }
}

void readCommonIds(FieldReader &read, int bos, int eos, ModelConfig &config)
{
    config.bosTokenId = read.tokenId("bos_token_id", bos);
    config.eosTokenId = read.tokenId("eos_token_id", eos);
    config.torchDtype = read.string("torch_dtype", QStringLiteral("float32"));
}

void readLlamaLike(FieldReader &read, const Json &object, const QString &source, ModelFamily family,
                   ModelConfig &config)
{
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
    readCommonIds(read, 1, 2, config);
    readActivation(read, "hidden_act", read.string("hidden_act", QStringLiteral("silu")), config);
    const bool qwen3 = family == ModelFamily::Qwen3;
    if (read.has("head_dim") || qwen3) {
        config.explicitHeadDim = read.positiveInt("head_dim", false, 128);
    }
    const bool attentionBias = read.boolean("attention_bias", false);
    config.qkvBias = family == ModelFamily::Qwen2 || attentionBias;
    config.outputBias = family != ModelFamily::Qwen2 && attentionBias;
    config.mlpBias = read.boolean("mlp_bias", false);
    config.qkNorm = qwen3;
    readRope(read, object, source, config);
    if (read.has("sliding_window")) {
        config.slidingWindow = read.positiveInt("sliding_window", false, 0);
    }
    if (family == ModelFamily::Qwen2 || qwen3) {
        // Qwen slides only with use_sliding_window, and then from max_window_layers on.
        if (!read.boolean("use_sliding_window", false)) {
            config.slidingWindow.reset();
        } else {
            const int from = read.positiveInt("max_window_layers", false, 28);
            readLayerTypes(
                    read, [from](int layer) { return layer >= from; }, config);
        }
    }
}

void readGpt2(FieldReader &read, ModelConfig &config)
{
    config.hiddenSize = read.positiveInt("n_embd", true, 0);
    config.numHiddenLayers = read.positiveInt("n_layer", true, 0);
    config.numAttentionHeads = read.positiveInt("n_head", true, 0);
    config.numKeyValueHeads = config.numAttentionHeads;
    config.intermediateSize = read.positiveInt("n_inner", false, 4 * config.hiddenSize);
    config.vocabSize = read.positiveInt("vocab_size", true, 0);
    config.maxPositionEmbeddings = read.positiveInt("n_positions", false, 1024);
    config.rmsNormEps = read.positiveNumber("layer_norm_epsilon", 1e-5);
    config.tieWordEmbeddings = read.boolean("tie_word_embeddings", true);
    readCommonIds(read, 50256, 50256, config);
    readActivation(read, "activation_function",
                   read.string("activation_function", QStringLiteral("gelu_new")), config);
    if (!read.boolean("scale_attn_weights", true) ||
        read.boolean("scale_attn_by_inverse_layer_idx", false)) {
        read.setError(
                QStringLiteral("scale_attn_weights false or scale_attn_by_inverse_layer_idx "
                               "true is not supported"));
    }
    config.norm = NormKind::Layer;
    config.gatedMlp = false;
    config.learnedPositions = true;
    config.qkvLayout = QkvLayout::Conv1dFused;
    config.qkvBias = config.outputBias = config.mlpBias = true;
}

void readGptNeox(FieldReader &read, const Json &object, const QString &source, ModelConfig &config)
{
    config.hiddenSize = read.positiveInt("hidden_size", true, 0);
    config.numHiddenLayers = read.positiveInt("num_hidden_layers", true, 0);
    config.numAttentionHeads = read.positiveInt("num_attention_heads", true, 0);
    config.numKeyValueHeads = config.numAttentionHeads;
    config.intermediateSize = read.positiveInt("intermediate_size", true, 0);
    config.vocabSize = read.positiveInt("vocab_size", true, 0);
    config.maxPositionEmbeddings = read.positiveInt("max_position_embeddings", false, 2048);
    config.rmsNormEps = read.positiveNumber("layer_norm_eps", 1e-5);
    config.ropeTheta =
            read.positiveNumber("rotary_emb_base", read.positiveNumber("rope_theta", 10000.0));
    config.rotaryFraction = read.fraction("rotary_pct", 0.25);
    config.tieWordEmbeddings = read.boolean("tie_word_embeddings", false);
    readCommonIds(read, 0, 2, config);
    readActivation(read, "hidden_act", read.string("hidden_act", QStringLiteral("gelu")), config);
    config.parallelResidual = read.boolean("use_parallel_residual", true);
    config.norm = NormKind::Layer;
    config.gatedMlp = false;
    config.qkvLayout = QkvLayout::PerHeadFused;
    config.qkvBias = config.outputBias = read.boolean("attention_bias", true);
    config.mlpBias = true;
    readRope(read, object, source, config);
}

void readGemma(FieldReader &read, const Json &object, const QString &source, ModelFamily family,
               bool defaults, ModelConfig &config)
{
    const bool gemma3 = family == ModelFamily::Gemma3;
    // Hugging Face's Gemma3TextConfig defaults, used only for a nested text_config.
    config.hiddenSize = read.positiveInt("hidden_size", !defaults, 2304);
    config.numHiddenLayers = read.positiveInt("num_hidden_layers", !defaults, 26);
    config.numAttentionHeads = read.positiveInt("num_attention_heads", !defaults, 8);
    config.numKeyValueHeads =
            read.positiveInt("num_key_value_heads", false, defaults ? 4 : config.numAttentionHeads);
    config.intermediateSize = read.positiveInt("intermediate_size", !defaults, 9216);
    config.vocabSize = read.positiveInt("vocab_size", !defaults, 262208);
    config.explicitHeadDim = read.positiveInt("head_dim", false, 256);
    config.maxPositionEmbeddings =
            read.positiveInt("max_position_embeddings", false, gemma3 ? 131072 : 8192);
    config.rmsNormEps = read.positiveNumber("rms_norm_eps", 1e-6);
    config.ropeTheta = read.positiveNumber("rope_theta", gemma3 ? 1000000.0 : 10000.0);
    config.tieWordEmbeddings = read.boolean("tie_word_embeddings", true);
    readCommonIds(read, 2, 1, config);
    const QString activation = read.string(
            "hidden_activation", read.string("hidden_act", QStringLiteral("gelu_pytorch_tanh")));
    readActivation(read, "hidden_activation", activation, config);
    config.queryPreAttnScalar = read.positiveNumber("query_pre_attn_scalar", 256.0);
    config.qkvBias = config.outputBias = read.boolean("attention_bias", false);
    config.norm = NormKind::RmsOffset;
    config.sandwichNorms = true;
    config.scaleEmbeddings = true;
    config.slidingWindow = read.positiveInt("sliding_window", false, 4096);
    if (gemma3) {
        // Gemma-3 never soft-caps attention scores, whatever the config says.
        config.finalLogitSoftcap = read.optionalCap("final_logit_softcapping", 0.0);
        config.qkNorm = true;
        config.ropeLocalTheta = read.positiveNumber("rope_local_base_freq", 10000.0);
        const int pattern = read.positiveInt("sliding_window_pattern", false,
                                             read.positiveInt("_sliding_window_pattern", false, 6));
        readLayerTypes(
                read, [pattern](int layer) { return (layer + 1) % pattern != 0; }, config);
        readRope(read, object, source, config, "full_attention");
        readLocalRope(read, object, source, config);
    } else {
        config.attnLogitSoftcap = read.optionalCap("attn_logit_softcapping", 50.0);
        config.finalLogitSoftcap = read.optionalCap("final_logit_softcapping", 30.0);
        readRope(read, object, source, config);
        readLayerTypes(
                read, [](int layer) { return layer % 2 == 0; }, config);
    }
}

}  // namespace

void readFamily(ModelFamily family, FieldReader &read, const Json &object, bool defaultsForMissing,
                ModelConfig &config)
{
    const QString source;  // rope_scaling problems are re-worded through `read`
    switch (family) {
        case ModelFamily::Llama:
        case ModelFamily::Mistral:
        case ModelFamily::Qwen2:
        case ModelFamily::Qwen3:
            readLlamaLike(read, object, source, family, config);
            break;
        case ModelFamily::Gpt2:
            readGpt2(read, config);
            break;
        case ModelFamily::GptNeox:
            readGptNeox(read, object, source, config);
            break;
        case ModelFamily::Gemma2:
        case ModelFamily::Gemma3:
            readGemma(read, object, source, family, defaultsForMissing, config);
            break;
    }
}

}  // namespace gyrus::gpu::family_fields
