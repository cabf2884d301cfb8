#include "gpu/detail/transformer.h"

#include "gpu/detail/non_finite.h"
#include "gpu/detail/safetensors_torch.h"
#include "gpu/detail/torch_compat.h"

#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace gyrus::gpu::detail {

at::Tensor &weightSlot(TransformerWeights &w, WeightRole role, int layer)
{
    static at::Tensor none;
    if (layer < 0) {
        switch (role) {
            case WeightRole::Embed:
                return w.embed;
            case WeightRole::PosEmbed:
                return w.positions;
            case WeightRole::FinalNorm:
                return w.finalNorm.weight;
            case WeightRole::FinalNormBias:
                return w.finalNorm.bias;
            case WeightRole::LmHead:
                return w.lmHead;
            default:
                return none = at::Tensor();
        }
    }
    LayerWeights &l = w.layers.at(static_cast<size_t>(layer));
    switch (role) {
        case WeightRole::AttnNorm:
            return l.attnNorm.weight;
        case WeightRole::AttnNormBias:
            return l.attnNorm.bias;
        case WeightRole::AttnPostNorm:
            return l.attnPostNorm.weight;
        case WeightRole::MlpNorm:
            return l.mlpNorm.weight;
        case WeightRole::MlpNormBias:
            return l.mlpNorm.bias;
        case WeightRole::MlpPostNorm:
            return l.mlpPostNorm.weight;
        case WeightRole::Q:
            return l.q.weight;
        case WeightRole::QBias:
            return l.q.bias;
        case WeightRole::K:
            return l.k.weight;
        case WeightRole::KBias:
            return l.k.bias;
        case WeightRole::V:
            return l.v.weight;
        case WeightRole::VBias:
            return l.v.bias;
        case WeightRole::Qkv:
            return l.qkv.weight;
        case WeightRole::QkvBias:
            return l.qkv.bias;
        case WeightRole::O:
            return l.o.weight;
        case WeightRole::OBias:
            return l.o.bias;
        case WeightRole::QNorm:
            return l.qNorm;
        case WeightRole::KNorm:
            return l.kNorm;
        case WeightRole::Gate:
            return l.gate.weight;
        case WeightRole::GateBias:
            return l.gate.bias;
        case WeightRole::Up:
            return l.up.weight;
        case WeightRole::UpBias:
            return l.up.bias;
        case WeightRole::Down:
            return l.down.weight;
        case WeightRole::DownBias:
            return l.down.bias;
        default:
            return none = at::Tensor();
    }
}

namespace {

Status checkShapes(const ModelConfig &config, TransformerWeights &weights)
{
    if (static_cast<int>(weights.layers.size()) != config.numHiddenLayers) {
        return Status::invalidInput(QStringLiteral("the weights have %1 layers, config says %2")
                                            .arg(weights.layers.size())
                                            .arg(config.numHiddenLayers));
    }
    QStringList problems;
    for (const ModelTensor &expected : modelTensors(config)) {
        const at::Tensor &t = weightSlot(weights, expected.role, expected.layer);
        if (!t.defined()) {
            problems << QStringLiteral("missing tensor '%1'").arg(expected.name);
            continue;
        }
        QVector<qint64> actual;
        for (const int64_t size : t.sizes()) {
            actual << size;
        }
        if (actual != expected.shape) {
            problems << QStringLiteral("tensor '%1' has shape %2, expected %3")
                                .arg(expected.name, shapeToString(actual),
                                     shapeToString(expected.shape));
        }
    }
    if (!problems.isEmpty()) {
        return Status::invalidInput(problems.join(QStringLiteral("; ")));
    }
    return Status::ok();
}

}  // namespace

Transformer::Transformer(ModelConfig config, TransformerWeights weights)
    : m_config(std::move(config))
    , m_weights(std::move(weights))
{}

Result<std::shared_ptr<Transformer>> Transformer::create(const ModelConfig &config,
                                                         TransformerWeights weights)
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
    return std::shared_ptr<Transformer>(new Transformer(config, std::move(weights)));
}

Result<std::shared_ptr<Transformer>> Transformer::fromTensors(
        const ModelConfig &config, const std::map<std::string, at::Tensor> &tensors,
        at::Device device, at::ScalarType dtype, const LoadProgress &progress, bool checkFinite)
{
    if (Status valid = validateModelConfig(config); !valid.isOk()) {
        return valid;
    }
    // Not InferenceMode: inference tensors cannot be saved for backward, and attribution
    // differentiates through the weights (without gradients for them).
    at::NoGradGuard guard;
    TransformerWeights weights;
    weights.layers.resize(static_cast<size_t>(config.numHiddenLayers));
    const std::vector<ModelTensor> expected = modelTensors(config);
    QStringList missing;
    for (const ModelTensor &tensor : expected) {
        if (tensors.count(tensor.name.toStdString()) == 0) {
            missing << tensor.name;
        }
    }
    if (!missing.isEmpty()) {
        return Status::invalidInput(QStringLiteral("missing tensors for %1: %2")
                                            .arg(config.architecture, missing.join(u", ")));
    }
    for (size_t i = 0; i < expected.size(); ++i) {
        const ModelTensor &tensor = expected[i];
        const at::Tensor &source = tensors.at(tensor.name.toStdString());
        if (checkFinite && !at::isfinite(source).all().item<bool>()) {
            return Status::invalidInput(
                    QStringLiteral("tensor '%1' holds NaN or infinite values: %2")
                            .arg(tensor.name, describeNonFinite(source)));
        }
        // to() returns the tensor itself when device and dtype already match: zero-copy.
        weightSlot(weights, tensor.role, tensor.layer) = source.to(device, dtype);
        if (progress &&
            !progress(static_cast<double>(i + 1) / static_cast<double>(expected.size()))) {
            return Status::cancelled(QStringLiteral("model loading cancelled"));
        }
    }
    return create(config, std::move(weights));
}

Result<std::shared_ptr<Transformer>> Transformer::fromArchive(
        const ModelConfig &usual, const SafetensorsArchive &archive, at::Device device,
        at::ScalarType dtype, const LoadProgress &progress, bool checkFinite)
{
    if (Status valid = validateModelConfig(usual); !valid.isOk()) {
        return valid;
    }
    ModelConfig config = usual;
    config.tensorRoot =
            detectTensorRoot(config, [&](const QString &name) { return archive.contains(name); });
    const std::vector<ModelTensor> expected = modelTensors(config);
    std::vector<ExpectedTensor> inFile;
    for (const ModelTensor &tensor : expected) {
        inFile.emplace_back(checkpointName(config, tensor), tensor.shape);
    }
    if (Status present = checkTensors(archive, inFile, config.architecture); !present.isOk()) {
        return present;
    }
    std::map<std::string, at::Tensor> tensors;
    for (size_t i = 0; i < expected.size(); ++i) {
        tensors[expected[i].name.toStdString()] = tensorFromArchive(archive, inFile[i].first);
    }
    return fromTensors(config, tensors, device, dtype, progress, checkFinite);
}

KvCache Transformer::newCache(int64_t initialCapacity) const
{
    return KvCache(m_config.numHiddenLayers, initialCapacity);
}

int64_t Transformer::parameterCount() const
{
    TransformerWeights &w = const_cast<TransformerWeights &>(m_weights);  // read-only use
    int64_t total = 0;
    for (const ModelTensor &tensor : modelTensors(m_config)) {
        total += weightSlot(w, tensor.role, tensor.layer).numel();
    }
    return total;
}

int64_t Transformer::weightBytes() const
{
    return parameterCount() * static_cast<int64_t>(c10::elementSize(dtype()));
}

at::Tensor Transformer::finalNormGain() const
{
    const at::Tensor &w = m_weights.finalNorm.weight;
    return m_config.norm == NormKind::RmsOffset ? w.to(at::kFloat) + 1.0 : w;
}

RopeTables Transformer::rope(int64_t first, int64_t tokens, bool local)
{
    RopeCache &cache = m_rope[local ? 1 : 0];
    const int64_t needed = first + tokens;
    if (!cache.cos.defined() || cache.cos.size(0) < needed) {
        if (!cache.inverseFrequencies.defined()) {
            // Gemma-3's sliding layers: their own base, never scaled.
            cache.inverseFrequencies =
                    local ? ropeInverseFrequencies(m_config.rotaryDim(), m_config.ropeLocalTheta,
                                                   std::nullopt)
                          : ropeInverseFrequencies(m_config.rotaryDim(), m_config.ropeTheta,
                                                   m_config.ropeScaling);
        }
        // Plain tensors even inside an inference-mode forward: a later recording forward
        // saves them for backward.
        c10::InferenceMode plainTensors(false);
        at::NoGradGuard noGrad;
        const int64_t capacity =
                std::max<int64_t>({needed, m_config.maxPositionEmbeddings,
                                   cache.cos.defined() ? 2 * cache.cos.size(0) : int64_t(0)});
        const RopeTables tables =
                ropeTables(at::arange(capacity, at::TensorOptions().device(device())),
                           cache.inverseFrequencies);
        cache.cos = tables.cos.to(dtype());
        cache.sin = tables.sin.to(dtype());
        cache.sinSigned = tables.sinSigned.to(dtype());
    }
    return {cache.cos.narrow(0, first, tokens), cache.sin.narrow(0, first, tokens),
            cache.sinSigned.narrow(0, first, tokens)};
}

at::Tensor Transformer::norm(const at::Tensor &x, const NormWeights &w) const
{
    return normalize(x, m_config.norm, w.weight, w.bias, m_config.rmsNormEps);
}

at::Tensor Transformer::attention(int layer, const at::Tensor &h, KvCache *cache,
                                  const RopeTables &rot, HookSet *hooks)
{
    const LayerWeights &w = m_weights.layers[static_cast<size_t>(layer)];
    const int64_t batch = h.size(0);
    const int64_t tokens = h.size(1);
    const int64_t heads = m_config.numAttentionHeads;
    const int64_t kvHeads = m_config.numKeyValueHeads;
    const int64_t headDim = m_config.headDim();
    at::Tensor q;
    at::Tensor k;
    at::Tensor v;
    switch (m_config.qkvLayout) {
        case QkvLayout::Separate:
            q = linearLayer(h, w.q.weight, w.q.bias).view({batch, tokens, heads, headDim});
            k = linearLayer(h, w.k.weight, w.k.bias).view({batch, tokens, kvHeads, headDim});
            v = linearLayer(h, w.v.weight, w.v.bias).view({batch, tokens, kvHeads, headDim});
            break;
        case QkvLayout::Conv1dFused: {
            // GPT-2: columns q | k | v, each split into heads.
            const at::Tensor qkv = linearLayer(h, w.qkv.weight, w.qkv.bias, /*inputMajor=*/true);
            const int64_t d = heads * headDim;
            q = qkv.narrow(-1, 0, d).view({batch, tokens, heads, headDim});
            k = qkv.narrow(-1, d, d).view({batch, tokens, heads, headDim});
            v = qkv.narrow(-1, 2 * d, d).view({batch, tokens, heads, headDim});
            break;
        }
        case QkvLayout::PerHeadFused: {
            // GPT-NeoX: per head, q then k then v.
            const at::Tensor qkv = linearLayer(h, w.qkv.weight, w.qkv.bias)
                                           .view({batch, tokens, heads, 3 * headDim});
            q = qkv.narrow(-1, 0, headDim);
            k = qkv.narrow(-1, headDim, headDim);
            v = qkv.narrow(-1, 2 * headDim, headDim);
            break;
        }
    }
    if (m_config.qkNorm) {
        q = normalize(q, m_config.norm, w.qNorm, at::Tensor(), m_config.rmsNormEps);
        k = normalize(k, m_config.norm, w.kNorm, at::Tensor(), m_config.rmsNormEps);
    }
    if (rot.cos.defined()) {
        q = applyRope(q, rot);
        k = applyRope(k, rot);
    }
    k = k.transpose(1, 2);
    v = v.transpose(1, 2);
    if (cache) {
        std::tie(k, v) = cache->append(layer, k, v);
    }
    AttentionShape shape;
    shape.scale = m_config.attentionScale();
    shape.softcap = m_config.attnLogitSoftcap;
    shape.slidingWindow = m_config.layerSlides(layer) ? *m_config.slidingWindow : 0;
    const bool keepPattern = hooks && hooks->capturesPattern(layer);
    at::Tensor pattern;
    const at::Tensor mixed =
            groupedQueryAttention(q.contiguous(), k, v, shape, keepPattern ? &pattern : nullptr);
    if (keepPattern) {
        hooks->storePattern(layer, pattern);
    }
    return linearLayer(mixed, w.o.weight, w.o.bias, m_config.qkvLayout == QkvLayout::Conv1dFused);
}

at::Tensor Transformer::mlp(const LayerWeights &w, const at::Tensor &h) const
{
    const bool conv1d = m_config.qkvLayout == QkvLayout::Conv1dFused;
    if (!m_config.gatedMlp) {
        return linearLayer(
                activate(linearLayer(h, w.up.weight, w.up.bias, conv1d), m_config.activation),
                w.down.weight, w.down.bias, conv1d);
    }
    if (m_config.activation == Activation::Silu && !w.gate.bias.defined()) {
        return swiGluMlp(h, w.gate.weight, w.up.weight, w.down.weight);
    }
    at::Tensor hidden = activate(linearLayer(h, w.gate.weight, w.gate.bias), m_config.activation);
    hidden = hidden * linearLayer(h, w.up.weight, w.up.bias);
    return linearLayer(hidden, w.down.weight, w.down.bias);
}

at::Tensor Transformer::forward(const at::Tensor &tokenIds, HookSet *hooks, KvCache *cache,
                                LogitsMode logits)
{
    if (!m_autocast) {
        return run(tokenIds, hooks, cache, logits);
    }
    const compat::AutocastScope scope(device().type(), *m_autocast);
    at::Tensor out = run(tokenIds, hooks, cache, logits);
    return out.defined() ? out.to(dtype()) : out;
}

at::Tensor Transformer::run(const at::Tensor &tokenIds, HookSet *hooks, KvCache *cache,
                            LogitsMode logits)
{
    c10::InferenceMode guard(!(hooks && hooks->recordsGradients()));
    TORCH_CHECK(tokenIds.dim() == 2, "tokens must be [batch, tokens], got ", tokenIds.sizes());
    const int64_t tokens = tokenIds.size(1);
    TORCH_CHECK(tokens > 0, "no tokens to run");
    const int layers = m_config.numHiddenLayers;
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
    if (m_weights.positions.defined()) {
        TORCH_CHECK(first + tokens <= m_weights.positions.size(0), "position ", first + tokens - 1,
                    " beyond the model's ", m_weights.positions.size(0), " learned positions");
    }
    const at::Tensor ids = hostIds.to(device());
    at::Tensor x = at::embedding(m_weights.embed, ids);
    if (m_config.scaleEmbeddings) {
        // Gemma: the normaliser is rounded to the weight dtype before the multiply.
        x = x * at::scalar_tensor(std::sqrt(static_cast<double>(m_config.hiddenSize)), x.options());
    }
    x = hook(HookSite::Embed, -1, x);
    if (m_weights.positions.defined()) {
        const at::Tensor positions = at::arange(first, first + tokens, ids.options());
        const at::Tensor rows = at::embedding(m_weights.positions, positions).unsqueeze(0);
        x = x + hook(HookSite::PosEmbed, -1,
                     tokenIds.size(0) == 1 ? rows : rows.repeat({tokenIds.size(0), 1, 1}));
    }
    RopeTables global;
    RopeTables local;
    if (lastLayer >= 0 && !m_config.learnedPositions) {
        global = rope(first, tokens, false);
        if (m_config.ropeLocalTheta > 0.0) {
            local = rope(first, tokens, true);
        }
    }
    for (int l = 0; l <= lastLayer; ++l) {
        const LayerWeights &w = m_weights.layers[static_cast<size_t>(l)];
        const bool useLocal = m_config.ropeLocalTheta > 0.0 && m_config.layerSlides(l);
        x = hook(HookSite::ResidPre, l, x);
        at::Tensor attnOut =
                attention(l, norm(x, w.attnNorm), cache, useLocal ? local : global, hooks);
        if (m_config.sandwichNorms) {
            attnOut = norm(attnOut, w.attnPostNorm);
        }
        attnOut = hook(HookSite::AttnOut, l, std::move(attnOut));
        if (m_config.parallelResidual) {
            // GPT-NeoX: both branches read the block's input.
            at::Tensor mlpOut = hook(HookSite::MlpOut, l, mlp(w, norm(x, w.mlpNorm)));
            x = hook(HookSite::ResidPost, l, mlpOut + attnOut + x);
            continue;
        }
        x = hook(HookSite::ResidMid, l, x + attnOut);
        at::Tensor mlpOut = mlp(w, norm(x, w.mlpNorm));
        if (m_config.sandwichNorms) {
            mlpOut = norm(mlpOut, w.mlpPostNorm);
        }
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
    at::Tensor normed;
    if (hookFinal) {
        // TransformerLens takes ln_final.hook_normalized before the norm's weight and bias (its
        // processed models fold them into the unembedding), so an SAE or a replacement sees
        // x / rms(x); the gain applies to what the hook returns. Unhooked, the fused norm keeps
        // Hugging Face's op order.
        const NormWeights &w = m_weights.finalNorm;
        normed = hook(HookSite::FinalNormalized, -1,
                      normalizeWithoutGain(x, m_config.norm, m_config.rmsNormEps));
        normed = applyNormGain(normed, m_config.norm, w.weight, w.bias);
    } else {
        normed = norm(x, m_weights.finalNorm);
    }
    if (logits == LogitsMode::None) {
        return at::Tensor();
    }
    if (logits == LogitsMode::Last && normed.size(1) != 1) {
        normed = normed.narrow(1, tokens - 1, 1);
    }
    at::Tensor out = project(normed, m_weights.lmHead);
    if (m_config.finalLogitSoftcap > 0.0) {
        const double cap = m_config.finalLogitSoftcap;
        out = at::GradMode::is_enabled() ? at::tanh(out / cap) * cap
                                         : out.div_(cap).tanh_().mul_(cap);
    }
    return out;
}

}  // namespace gyrus::gpu::detail
