#include "gpu/detail/llama_model.h"

#include "gpu/detail/safetensors_torch.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <utility>

namespace gyrus::gpu::detail {

namespace {

QString layerName(int layer, const char *suffix)
{
    return QStringLiteral("model.layers.%1.%2").arg(layer).arg(QLatin1String(suffix));
}

/// The weights under their Hugging Face names, in expectedLlamaTensors() order.
std::vector<std::pair<QString, at::Tensor *>> namedWeights(LlamaWeights &w, bool tied)
{
    std::vector<std::pair<QString, at::Tensor *>> named;
    named.emplace_back(QStringLiteral("model.embed_tokens.weight"), &w.embed);
    for (int i = 0; i < static_cast<int>(w.layers.size()); ++i) {
        LlamaLayerWeights &l = w.layers[static_cast<size_t>(i)];
        named.emplace_back(layerName(i, "input_layernorm.weight"), &l.inputNorm);
        named.emplace_back(layerName(i, "self_attn.q_proj.weight"), &l.qProj);
        named.emplace_back(layerName(i, "self_attn.k_proj.weight"), &l.kProj);
        named.emplace_back(layerName(i, "self_attn.v_proj.weight"), &l.vProj);
        named.emplace_back(layerName(i, "self_attn.o_proj.weight"), &l.oProj);
        named.emplace_back(layerName(i, "post_attention_layernorm.weight"), &l.postNorm);
        named.emplace_back(layerName(i, "mlp.gate_proj.weight"), &l.gateProj);
        named.emplace_back(layerName(i, "mlp.up_proj.weight"), &l.upProj);
        named.emplace_back(layerName(i, "mlp.down_proj.weight"), &l.downProj);
    }
    named.emplace_back(QStringLiteral("model.norm.weight"), &w.finalNorm);
    if (!tied) {
        named.emplace_back(QStringLiteral("lm_head.weight"), &w.lmHead);
    }
    return named;
}

Status checkShapes(const ModelConfig &config, LlamaWeights &weights)
{
    if (static_cast<int>(weights.layers.size()) != config.numHiddenLayers) {
        return Status::invalidInput(QStringLiteral("the weights have %1 layers, config says %2")
                                            .arg(weights.layers.size())
                                            .arg(config.numHiddenLayers));
    }
    const std::vector<ExpectedTensor> expected = expectedLlamaTensors(config);
    const auto named = namedWeights(weights, config.tieWordEmbeddings);
    QStringList problems;
    for (const auto &[name, shape] : expected) {
        const auto found = std::find_if(named.begin(), named.end(),
                                        [&](const auto &entry) { return entry.first == name; });
        if (found == named.end()) {
            continue;  // lm_head when tied: checked through embed
        }
        const at::Tensor &t = *found->second;
        if (!t.defined()) {
            problems << QStringLiteral("missing tensor '%1'").arg(name);
            continue;
        }
        QVector<qint64> actual;
        for (const int64_t size : t.sizes()) {
            actual << size;
        }
        if (actual != shape) {
            problems << QStringLiteral("tensor '%1' has shape %2, expected %3")
                                .arg(name, shapeToString(actual), shapeToString(shape));
        }
    }
    if (!problems.isEmpty()) {
        return Status::invalidInput(problems.join(QStringLiteral("; ")));
    }
    return Status::ok();
}

}  // namespace

LlamaModel::LlamaModel(ModelConfig config, LlamaWeights weights)
    : m_config(std::move(config))
    , m_weights(std::move(weights))
{}

Result<std::shared_ptr<LlamaModel>> LlamaModel::create(const ModelConfig &config,
                                                       LlamaWeights weights)
{
    if (Status valid = validateModelConfig(config); !valid.isOk()) {
        return valid;
    }
    if (config.tieWordEmbeddings || !weights.lmHead.defined()) {
        weights.lmHead = weights.embed;
    }
    if (Status shapes = checkShapes(config, weights); !shapes.isOk()) {
        return shapes;
    }
    return std::shared_ptr<LlamaModel>(new LlamaModel(config, std::move(weights)));
}

Result<std::shared_ptr<LlamaModel>> LlamaModel::fromTensors(
        const ModelConfig &config, const std::map<std::string, at::Tensor> &tensors,
        at::Device device, at::ScalarType dtype, const LoadProgress &progress, bool checkFinite)
{
    if (Status valid = validateModelConfig(config); !valid.isOk()) {
        return valid;
    }
    c10::InferenceMode guard;
    LlamaWeights weights;
    weights.layers.resize(static_cast<size_t>(config.numHiddenLayers));
    auto named = namedWeights(weights, config.tieWordEmbeddings);
    QStringList missing;
    for (const auto &[name, slot] : named) {
        if (tensors.count(name.toStdString()) == 0) {
            missing << name;
        }
    }
    if (!missing.isEmpty()) {
        return Status::invalidInput(QStringLiteral("missing tensors for %1: %2")
                                            .arg(config.architecture, missing.join(u", ")));
    }
    for (size_t i = 0; i < named.size(); ++i) {
        const auto &[name, slot] = named[i];
        const at::Tensor &source = tensors.at(name.toStdString());
        if (checkFinite && !at::isfinite(source).all().item<bool>()) {
            return Status::invalidInput(
                    QStringLiteral("tensor '%1' holds NaN or infinite values").arg(name));
        }
        // to() returns the tensor itself when device and dtype already match: zero-copy.
        *slot = source.to(device, dtype);
        if (progress && !progress(static_cast<double>(i + 1) / static_cast<double>(named.size()))) {
            return Status::cancelled(QStringLiteral("model loading cancelled"));
        }
    }
    return create(config, std::move(weights));
}

Result<std::shared_ptr<LlamaModel>> LlamaModel::fromArchive(const ModelConfig &config,
                                                            const SafetensorsArchive &archive,
                                                            at::Device device, at::ScalarType dtype,
                                                            const LoadProgress &progress,
                                                            bool checkFinite)
{
    if (Status valid = validateModelConfig(config); !valid.isOk()) {
        return valid;
    }
    if (Status present = checkTensors(archive, expectedLlamaTensors(config), config.architecture);
        !present.isOk()) {
        return present;
    }
    std::map<std::string, at::Tensor> tensors;
    for (const auto &[name, shape] : expectedLlamaTensors(config)) {
        tensors[name.toStdString()] = tensorFromArchive(archive, name);
    }
    return fromTensors(config, tensors, device, dtype, progress, checkFinite);
}

KvCache LlamaModel::newCache(int64_t initialCapacity) const
{
    return KvCache(m_config.numHiddenLayers, initialCapacity);
}

int64_t LlamaModel::parameterCount() const
{
    LlamaWeights &w = const_cast<LlamaWeights &>(m_weights);
    int64_t total = 0;
    for (const auto &[name, tensor] : namedWeights(w, m_config.tieWordEmbeddings)) {
        total += tensor->numel();
    }
    return total;
}

int64_t LlamaModel::weightBytes() const
{
    return parameterCount() * static_cast<int64_t>(c10::elementSize(dtype()));
}

RopeTables LlamaModel::rope(int64_t first, int64_t tokens)
{
    const int64_t needed = first + tokens;
    if (!m_ropeCos.defined() || m_ropeCos.size(0) < needed) {
        const int64_t capacity =
                std::max<int64_t>({needed, m_config.maxPositionEmbeddings,
                                   m_ropeCos.defined() ? 2 * m_ropeCos.size(0) : int64_t(0)});
        const double scale = m_config.ropeScaling ? m_config.ropeScaling->factor : 1.0;
        const RopeTables tables =
                ropeTables(at::arange(capacity, at::TensorOptions().device(device())),
                           m_config.headDim(), m_config.ropeTheta, scale);
        m_ropeCos = tables.cos.to(dtype());
        m_ropeSin = tables.sin.to(dtype());
        m_ropeSinSigned = tables.sinSigned.to(dtype());
    }
    return {m_ropeCos.narrow(0, first, tokens), m_ropeSin.narrow(0, first, tokens),
            m_ropeSinSigned.narrow(0, first, tokens)};
}

at::Tensor LlamaModel::forward(const at::Tensor &tokenIds, HookSet *hooks, KvCache *cache,
                               LogitsMode logits)
{
    c10::InferenceMode guard;
    TORCH_CHECK(tokenIds.dim() == 2, "tokens must be [batch, tokens], got ", tokenIds.sizes());
    const int64_t batch = tokenIds.size(0);
    const int64_t tokens = tokenIds.size(1);
    TORCH_CHECK(tokens > 0, "no tokens to run");
    const int layers = m_config.numHiddenLayers;
    const int64_t heads = m_config.numAttentionHeads;
    const int64_t kvHeads = m_config.numKeyValueHeads;
    const int64_t headDim = m_config.headDim();
    const int64_t first = cache ? cache->length() : 0;
    if (hooks && hooks->empty()) {
        hooks = nullptr;
    }

    int lastLayer = layers - 1;
    bool runFinal = logits != LogitsMode::None;
    if (!cache && logits == LogitsMode::None) {
        const int deepest = hooks ? hooks->deepestLayer(layers) : -1;
        lastLayer = std::min(lastLayer, deepest);
        runFinal = deepest >= layers;
    }
    auto hook = [&](HookSite site, int layer, at::Tensor x) {
        return hooks ? hooks->run(HookPoint{site, layer}, std::move(x), first) : x;
    };

    // Checked on the host: an out-of-range id would otherwise be a device-side assert on CUDA.
    const at::Tensor hostIds = tokenIds.to(at::kCPU, at::kLong).contiguous();
    const int64_t *id = hostIds.data_ptr<int64_t>();
    for (int64_t i = 0; i < hostIds.numel(); ++i) {
        TORCH_CHECK(id[i] >= 0 && id[i] < m_config.vocabSize, "token id ", id[i],
                    " outside the vocabulary [0, ", m_config.vocabSize, ")");
    }
    const at::Tensor ids = hostIds.to(device());
    at::Tensor x = hook(HookSite::Embed, -1, at::embedding(m_weights.embed, ids));
    const RopeTables rot = lastLayer >= 0 ? rope(first, tokens) : RopeTables{};
    const int64_t window = m_config.slidingWindow.value_or(0);
    for (int l = 0; l <= lastLayer; ++l) {
        const LlamaLayerWeights &w = m_weights.layers[static_cast<size_t>(l)];
        x = hook(HookSite::ResidPre, l, x);
        const at::Tensor h = rmsNorm(x, w.inputNorm, m_config.rmsNormEps);
        const at::Tensor q =
                applyRope(project(h, w.qProj).view({batch, tokens, heads, headDim}), rot);
        at::Tensor k = applyRope(project(h, w.kProj).view({batch, tokens, kvHeads, headDim}), rot)
                               .transpose(1, 2);
        at::Tensor v = project(h, w.vProj).view({batch, tokens, kvHeads, headDim}).transpose(1, 2);
        if (cache) {
            std::tie(k, v) = cache->append(l, k, v);
        }
        at::Tensor attnOut = project(groupedQueryAttention(q, k, v, window), w.oProj);
        attnOut = hook(HookSite::AttnOut, l, std::move(attnOut));
        x = hook(HookSite::ResidMid, l, x + attnOut);
        at::Tensor mlpOut = swiGluMlp(rmsNorm(x, w.postNorm, m_config.rmsNormEps), w.gateProj,
                                      w.upProj, w.downProj);
        mlpOut = hook(HookSite::MlpOut, l, std::move(mlpOut));
        x = hook(HookSite::ResidPost, l, x + mlpOut);
    }
    if (cache) {
        cache->advance(tokens);
    }
    if (!runFinal) {
        return at::Tensor();
    }
    const bool hookFinal = hooks && hooks->has(HookPoint::finalNormalized());
    if (logits == LogitsMode::Last && !hookFinal) {
        x = x.narrow(1, tokens - 1, 1);
    }
    at::Tensor normed = hook(HookSite::FinalNormalized, -1,
                             rmsNorm(x, m_weights.finalNorm, m_config.rmsNormEps));
    if (logits == LogitsMode::None) {
        return at::Tensor();
    }
    if (logits == LogitsMode::Last && normed.size(1) != 1) {
        normed = normed.narrow(1, tokens - 1, 1);
    }
    return project(normed, m_weights.lmHead);
}

}  // namespace gyrus::gpu::detail
