#include "gpu/model/transformer.h"

#include "gpu/model/non_finite.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/model/status_error.h"
#include "gpu/model/torch_compat.h"

#include <QFileInfo>

#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <set>
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

/// What a model opened from an archive still has to read, and what it has read.
struct Transformer::LazySource
{
    SafetensorsArchive archive;
    bool checkFinite = true;
    std::vector<std::vector<size_t>> layerTensors;  // footprint indices per layer
    std::vector<size_t> stemTensors;                // embedding, learned positions
    std::vector<size_t> headTensors;                // final norm, untied head
    std::vector<char> layerReady;
    bool stemReady = false;
    bool headReady = false;
    WeightTouch touch;
    std::set<QString> shards;
};

Transformer::Transformer(ModelConfig config, TransformerWeights weights)
    : m_config(std::move(config))
    , m_weights(std::move(weights))
{
    if (m_weights.embed.defined()) {
        m_device = m_weights.embed.device();
        m_dtype = m_weights.embed.scalar_type();
    }
}

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
    // Headers only: names and shapes. No weight is read until a forward needs it.
    if (Status present = checkTensors(archive, inFile, config.architecture); !present.isOk()) {
        return present;
    }
    TransformerWeights weights;
    weights.layers.resize(static_cast<size_t>(config.numHiddenLayers));
    std::shared_ptr<Transformer> model(new Transformer(config, std::move(weights)));
    model->m_device = device;
    model->m_dtype = dtype;
    model->m_footprint = weightFootprint(config, archive);
    auto lazy = std::make_shared<LazySource>();
    lazy->archive = archive;
    lazy->checkFinite = checkFinite;
    lazy->layerTensors.resize(static_cast<size_t>(config.numHiddenLayers));
    lazy->layerReady.assign(static_cast<size_t>(config.numHiddenLayers), 0);
    const std::vector<TensorPlace> &places = model->m_footprint.tensors;
    for (size_t i = 0; i < places.size(); ++i) {
        const ModelTensor &tensor = places[i].tensor;
        if (tensor.layer >= 0) {
            lazy->layerTensors[static_cast<size_t>(tensor.layer)].push_back(i);
        } else if (tensor.role == WeightRole::Embed || tensor.role == WeightRole::PosEmbed) {
            lazy->stemTensors.push_back(i);
        } else {
            lazy->headTensors.push_back(i);
        }
    }
    lazy->touch.tensorsTotal = static_cast<int>(places.size());
    model->m_lazy = std::move(lazy);
    if (progress && !progress(1.0)) {
        return Status::cancelled(QStringLiteral("model loading cancelled"));
    }
    return model;
}

at::Tensor Transformer::readWeight(size_t index)
{
    LazySource &lazy = *m_lazy;
    const TensorPlace &place = m_footprint.tensors[index];
    const at::Tensor source = tensorFromArchive(lazy.archive, place.nameInFile);
    const bool stem =
            place.tensor.role == WeightRole::Embed || place.tensor.role == WeightRole::PosEmbed;
    // The embedding keeps the file's dtype: a forward gathers its rows and converts only those.
    const at::Tensor value = stem ? source.to(m_device) : source.to(m_device, m_dtype);
    // The embedding is checked row by row as rows are gathered (see forward()).
    if (lazy.checkFinite && !stem && !at::isfinite(value).all().item<bool>()) {
        const QString where = place.tensor.layer >= 0
                                      ? QStringLiteral("layer %1").arg(place.tensor.layer)
                                      : QStringLiteral("the head");
        const QString kept =
                lazy.touch.layersReady > 0
                        ? QStringLiteral("layers 0..%1 stay in use").arg(lazy.touch.layersReady - 1)
                        : QStringLiteral("nothing else was read");
        throw StatusError(Status::invalidInput(
                QStringLiteral("%1 (%2): tensor '%3' of %4 holds NaN or infinite values; the "
                               "shard is corrupt (re-download it); %5")
                        .arg(place.shard, formatBytes(QFileInfo(place.shard).size()),
                             place.nameInFile, where, kept)));
    }
    return value;
}

void Transformer::ensureWeights(int lastLayer, bool head)
{
    if (!m_lazy) {
        return;
    }
    // Plain tensors even when the first touch is an inference-mode forward: a later recording
    // forward (attribution) saves the weights for backward.
    c10::InferenceMode plainTensors(false);
    at::NoGradGuard noGrad;
    LazySource &lazy = *m_lazy;
    // Each group is read whole before any of it is installed: a corrupt tensor leaves the model
    // exactly as it was.
    const auto install = [&](const std::vector<size_t> &indices) {
        std::vector<at::Tensor> values;
        values.reserve(indices.size());
        for (const size_t index : indices) {
            values.push_back(readWeight(index));
        }
        for (size_t i = 0; i < indices.size(); ++i) {
            const TensorPlace &place = m_footprint.tensors[indices[i]];
            weightSlot(m_weights, place.tensor.role, place.tensor.layer) = values[i];
            ++lazy.touch.tensors;
            lazy.touch.fileBytes += place.fileBytes;
            // A tensor used in place shares the mapping's storage; a converted one does not.
            const std::optional<TensorInfo> info = lazy.archive.info(place.nameInFile);
            if (!info || values[i].data_ptr() != static_cast<const void *>(info->data)) {
                lazy.touch.convertedBytes += static_cast<qint64>(values[i].nbytes());
            }
            lazy.shards.insert(place.shard);
        }
    };
    if (!lazy.stemReady) {
        install(lazy.stemTensors);
        lazy.stemReady = true;
    }
    const int last = std::min(lastLayer, m_config.numHiddenLayers - 1);
    for (int l = 0; l <= last; ++l) {
        if (!lazy.layerReady[static_cast<size_t>(l)]) {
            install(lazy.layerTensors[static_cast<size_t>(l)]);
            lazy.layerReady[static_cast<size_t>(l)] = 1;
        }
    }
    int ready = 0;
    while (ready < m_config.numHiddenLayers && lazy.layerReady[static_cast<size_t>(ready)]) {
        ++ready;
    }
    lazy.touch.layersReady = ready;
    if (head && !lazy.headReady) {
        install(lazy.headTensors);
        if (m_config.tieWordEmbeddings) {
            // The tied head in the compute dtype: the embedding itself when it already is.
            m_weights.lmHead = m_weights.embed.to(m_device, m_dtype);
            if (!m_weights.lmHead.is_same(m_weights.embed)) {
                lazy.touch.convertedBytes += static_cast<qint64>(m_weights.lmHead.nbytes());
            }
        }
        lazy.headReady = true;
        lazy.touch.headReady = true;
    }
    lazy.touch.shards = QStringList(lazy.shards.begin(), lazy.shards.end());
}

const at::Tensor &Transformer::outputHead()
{
    ensureWeights(-1, true);
    return m_weights.lmHead;
}

WeightTouch Transformer::touched() const
{
    if (m_lazy) {
        return m_lazy->touch;
    }
    WeightTouch all;
    all.tensors = all.tensorsTotal = static_cast<int>(modelTensors(m_config).size());
    all.layersReady = m_config.numHiddenLayers;
    all.headReady = true;
    return all;
}

MemoryRequest Transformer::memoryRequest(int lastLayer, bool head, int64_t batch, int64_t tokens,
                                         int64_t cachedTokens) const
{
    const int64_t elt = static_cast<int64_t>(c10::elementSize(m_dtype));
    const int64_t d = m_config.hiddenSize;
    const int64_t heads = m_config.numAttentionHeads;
    const int64_t context = cachedTokens + tokens;
    const int last = std::min(lastLayer, m_config.numHiddenLayers - 1);
    MemoryRequest request;
    request.what = QStringLiteral("a forward of %1 x %2 tokens to %3")
                           .arg(batch)
                           .arg(tokens)
                           .arg(head ? QStringLiteral("the logits")
                                     : QStringLiteral("layer %1").arg(last));
    // Weights not read yet, as they will be held.
    const std::optional<DType> computeDtype = fromScalarType(m_dtype);
    const ComputePlacement placement{computeDtype.value_or(DType::F32), m_device.is_cpu()};
    qint64 weights = 0;
    if (m_lazy) {
        const LazySource &lazy = *m_lazy;
        for (const TensorPlace *place : m_footprint.needed(last, head)) {
            const ModelTensor &tensor = place->tensor;
            const bool ready =
                    tensor.layer >= 0 ? lazy.layerReady[static_cast<size_t>(tensor.layer)] != 0
                    : (tensor.role == WeightRole::Embed || tensor.role == WeightRole::PosEmbed)
                            ? lazy.stemReady
                            : lazy.headReady;
            if (!ready) {
                weights += residentBytes(*place, placement);
            }
        }
        if (head && !lazy.headReady && m_config.tieWordEmbeddings &&
            !(placement.cpu && !m_footprint.tensors.empty() &&
              m_footprint.tensors.front().dtype == placement.dtype)) {
            weights += static_cast<qint64>(m_config.vocabSize) * d * elt;
        }
    }
    request.parts.push_back(
            {QStringLiteral("weights still to read in %1")
                     .arg(placement.dtype == DType::F32 ? QStringLiteral("fp32")
                                                        : dtypeName(placement.dtype).toLower()),
             weights});
    // Activations live one layer at a time: the residual and its norm, q/k/v and the attention
    // output, the MLP's hidden state (gate, up, product), and the attention scores of a layer.
    const int64_t perToken = 6 * d + 3 * int64_t(m_config.intermediateSize) +
                             2 * int64_t(heads) * m_config.headDim();
    qint64 activations = batch * tokens * perToken * elt + batch * heads * tokens * context * 4;
    if (cachedTokens > 0 || tokens > 1) {
        // A KV cache over every layer run (generation keeps one).
        activations += 2 * int64_t(last + 1) * batch * context * m_config.numKeyValueHeads *
                       m_config.headDim() * elt;
    }
    request.parts.push_back({QStringLiteral("activations"), activations});
    if (head) {
        request.parts.push_back({QStringLiteral("logits"),
                                 batch * tokens * int64_t(m_config.vocabSize) * (elt + 4)});
    }
    if (weights > 0 && m_dtype == at::kFloat && m_footprint.fileDtype() == QLatin1String("bf16")) {
        const ComputePlacement bf16{DType::BF16, m_device.is_cpu()};
        qint64 bf16Weights = 0;
        for (const TensorPlace *place : m_footprint.needed(last, head)) {
            bf16Weights += residentBytes(*place, bf16);
        }
        request.waysOut << QStringLiteral(
                                   "open the model in bf16 (--dtype bf16: the weights then "
                                   "stay mapped from the file, %1)")
                                   .arg(formatBytes(bf16Weights));
    }
    if (head) {
        request.waysOut << QStringLiteral(
                "a job that reads a layer's residual stream (heatmap, contrast, RSA, SAE) runs "
                "only the layers up to it and needs no head");
    } else if (last > 0 && weights > 0) {
        request.waysOut << QStringLiteral("a lower layer (layer %1 needs %2 of weights)")
                                   .arg(last / 2)
                                   .arg(formatBytes(
                                           jobTouch(m_footprint, last / 2, false, placement)
                                                   .residentBytes));
    }
    request.waysOut << QStringLiteral("fewer tokens or a smaller batch (activations: %1)")
                               .arg(formatBytes(activations));
    return request;
}

KvCache Transformer::newCache(int64_t initialCapacity) const
{
    return KvCache(m_config.numHiddenLayers, initialCapacity);
}

int64_t Transformer::parameterCount() const
{
    // From the shapes, so that a model whose layers are not read yet counts them too.
    int64_t total = 0;
    for (const ModelTensor &tensor : modelTensors(m_config)) {
        int64_t n = 1;
        for (const qint64 dim : tensor.shape) {
            n *= dim;
        }
        total += n;
    }
    return total;
}

int64_t Transformer::weightBytes() const
{
    return parameterCount() * static_cast<int64_t>(c10::elementSize(dtype()));
}

at::Tensor Transformer::finalNormGain()
{
    ensureWeights(-1, true);
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
    const int64_t first = cache ? cache->length() : 0;  // advances only after every layer
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
    at::Tensor mixed =
            groupedQueryAttention(q.contiguous(), k, v, shape, keepPattern ? &pattern : nullptr);
    if (keepPattern) {
        hooks->storePattern(layer, pattern);
    }
    if (hooks) {
        // The heads' outputs before W_O (head ablation edits them here).
        mixed = hooks->run(HookPoint{HookSite::AttnZ, layer}, mixed, first);
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
    // Before reading any weight or allocating an activation: refuse what would not fit.
    // On CUDA the budget is the device's free memory: weights and activations live there.
    if (Status budget = checkMemoryBudget(
                memoryRequest(lastLayer, runFinal, tokenIds.size(0), tokens, first),
                availableMemoryBytesOn(QString::fromStdString(m_device.str())));
        !budget.isOk()) {
        throw StatusError(budget);
    }
    ensureWeights(lastLayer, runFinal);

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
    // The embedding may be in the file's dtype (a model opened from an archive): convert the
    // gathered rows only.
    at::Tensor x = at::embedding(m_weights.embed, ids);
    if (m_lazy && m_lazy->checkFinite && !at::isfinite(x).all().item<bool>()) {
        const QString shard = m_footprint.tensors.front().shard;
        throw StatusError(Status::invalidInput(
                QStringLiteral("%1 (%2): the embedding rows of these tokens hold NaN or infinite "
                               "values; the shard is corrupt (re-download it)")
                        .arg(shard, formatBytes(QFileInfo(shard).size()))));
    }
    x = x.to(m_dtype);
    if (m_config.scaleEmbeddings) {
        // Gemma: the normaliser is rounded to the weight dtype before the multiply.
        x = x * at::scalar_tensor(std::sqrt(static_cast<double>(m_config.hiddenSize)), x.options());
    }
    x = hook(HookSite::Embed, -1, x);
    if (m_weights.positions.defined()) {
        const at::Tensor positions = at::arange(first, first + tokens, ids.options());
        const at::Tensor rows =
                at::embedding(m_weights.positions, positions).to(m_dtype).unsqueeze(0);
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
