#include "gpu/model/language_model.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/generation.h"
#include "gpu/model/generation_session.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/model/torch_compat.h"
#include "gpu/model/transformer.h"

#include <QDir>
#include <QFileInfo>

#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gyrus::gpu {

namespace {

at::ScalarType scalarType(Dtype dtype)
{
    switch (dtype) {
        case Dtype::BFloat16:
            return at::kBFloat16;
        case Dtype::Float16:
            return at::kHalf;
        case Dtype::Float32:
        case Dtype::BFloat16Autocast:  // float32 weights; the matmuls autocast to bf16
            break;
    }
    return at::kFloat;
}

Dtype dtypeOf(at::ScalarType type)
{
    switch (type) {
        case at::kBFloat16:
            return Dtype::BFloat16;
        case at::kHalf:
            return Dtype::Float16;
        default:
            return Dtype::Float32;
    }
}

Result<at::Device> parseDevice(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("cpu")) {
        return at::Device(at::kCPU);
    }
    if (n != QLatin1String("cuda") && !n.startsWith(QLatin1String("cuda:"))) {
        return Status::invalidInput(
                QStringLiteral("unknown device '%1'; use cpu, cuda or cuda:N").arg(name));
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (count == 0) {
        return Status::invalidInput(
                QStringLiteral("device '%1' requested, but this LibTorch sees no CUDA device")
                        .arg(name));
    }
    int index = 0;
    if (n.startsWith(QLatin1String("cuda:"))) {
        bool ok = false;
        index = n.mid(5).toInt(&ok);
        if (!ok || index < 0 || index >= count) {
            return Status::invalidInput(QStringLiteral("device '%1' does not exist (%2 CUDA "
                                                       "device(s): cuda:0 .. cuda:%3)")
                                                .arg(name)
                                                .arg(count)
                                                .arg(count - 1));
        }
    }
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

FloatTensor toFloatTensor(const at::Tensor &t)
{
    const at::Tensor host = t.to(at::kCPU, at::kFloat).contiguous();
    FloatTensor out;
    out.shape.assign(host.sizes().begin(), host.sizes().end());
    const float *data = host.data_ptr<float>();
    out.values.assign(data, data + host.numel());
    return out;
}

}  // namespace

struct LanguageModel::Impl
{
    QString directory;
    std::shared_ptr<detail::Transformer> model;
    Tokenizer tokenizer;
    // The weights' files: tensors loaded without a copy still read them (mapped_file_guard.h).
    SafetensorsArchive archive;
    SaeConventions conventions;

    Status checkTokens(const std::vector<int> &tokens) const
    {
        if (tokens.empty()) {
            return Status::invalidInput(QStringLiteral("no tokens to run"));
        }
        const int vocab = model->config().vocabSize;
        for (const int id : tokens) {
            if (id < 0 || id >= vocab) {
                return Status::invalidInput(
                        QStringLiteral("token id %1 outside the vocabulary [0, %2)")
                                .arg(id)
                                .arg(vocab));
            }
        }
        return Status::ok();
    }

    Result<std::vector<detail::HookPoint>> parseHooks(const QStringList &names) const
    {
        std::vector<detail::HookPoint> points;
        const HookLayout layout = hookLayout(model->config());
        for (const QString &name : names) {
            const auto point = detail::HookPoint::parse(name, layout);
            if (!point) {
                return Status::invalidInput(QStringLiteral("unknown hook '%1'; %2")
                                                    .arg(name, detail::describeHooks(layout)));
            }
            if (std::find(points.begin(), points.end(), *point) == points.end()) {
                points.push_back(*point);
            }
        }
        return points;
    }
};

LanguageModel::LanguageModel(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

LanguageModel::~LanguageModel() = default;

Result<std::unique_ptr<LanguageModel>> LanguageModel::load(const QString &hfDir,
                                                           const LoadOptions &options)
{
    const QFileInfo dirInfo(hfDir);
    if (!dirInfo.isDir()) {
        return Status::notFound(
                QStringLiteral("model directory '%1' does not exist or is not a directory")
                        .arg(hfDir));
    }
    const QDir dir(dirInfo.absoluteFilePath());
    const at::ScalarType dtype = scalarType(options.dtype);
    const Result<at::Device> device = parseDevice(options.device);
    if (!device) {
        return device.status();
    }
    if (dtype == at::kHalf && device->is_cpu() && !detail::compat::kHasCpuHalfMatmul) {
        return Status::invalidInput(QStringLiteral(
                "fp16 is not supported on the CPU by LibTorch 1.x (no half matmul); use bf16 or "
                "fp32"));
    }
    const QString configPath = dir.filePath(QStringLiteral("config.json"));
    Result<ModelConfig> config = loadModelConfig(configPath);
    if (!config) {
        return config.status();
    }
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(dir.absolutePath());
    if (!archive) {
        return archive.status();
    }
    auto impl = std::make_unique<Impl>();
    impl->directory = dir.absolutePath();
    const QString tokenizerPath = Tokenizer::findInDirectory(dir.absolutePath());
    if (!tokenizerPath.isEmpty()) {
        Result<Tokenizer> tokenizer = Tokenizer::load(tokenizerPath);
        if (!tokenizer) {
            return tokenizer.status();
        }
        // A tokenizer may know ids the embedding has no row for (Gemma-3: config.json's
        // vocab_size 262144, tokenizer.json's <image_soft_token> 262144). transformers loads
        // such a model and fails only when the id is used; the transformer's embedding refuses
        // it the same way, so say so on the card and load.
        if (tokenizer->vocabSize() > config->vocabSize) {
            config.value().notes << QStringLiteral(
                                            "tokenizer ids %1..%2 have no embedding row (refused "
                                            "when used)")
                                            .arg(config->vocabSize)
                                            .arg(tokenizer->vocabSize() - 1);
        }
        impl->tokenizer = std::move(tokenizer).value();
    }
    const QString what = QStringLiteral("loading %1").arg(dir.absolutePath());
    Result<std::shared_ptr<detail::Transformer>> model =
            catchingExceptions<std::shared_ptr<detail::Transformer>>(what, [&] {
                return detail::Transformer::fromArchive(*config, *archive, *device, dtype,
                                                        options.progress, options.checkFinite);
            });
    if (!model) {
        return model.status().code() == Status::Code::InvalidInput
                       ? model.status().withContext(dir.absolutePath())
                       : model.status();
    }
    if (Status unchanged = checkMappingsUnchanged(*archive); !unchanged.isOk()) {
        return unchanged;
    }
    impl->model = std::move(model).value();
    if (options.dtype == Dtype::BFloat16Autocast) {
        impl->model->setAutocast(at::kBFloat16);
    }
    impl->archive = std::move(archive).value();
    return std::unique_ptr<LanguageModel>(new LanguageModel(std::move(impl)));
}

namespace {

WeightUse weightUse(detail::Transformer &model)
{
    WeightUse use;
    const WeightFootprint &footprint = model.footprint();
    const detail::WeightTouch touch = model.touched();
    use.tensorsRead = touch.tensors;
    use.tensorsTotal = touch.tensorsTotal;
    use.bytesRead = touch.fileBytes;
    use.convertedBytes = touch.convertedBytes;
    use.layersReady = touch.layersReady;
    use.headReady = touch.headReady;
    use.shardsRead = touch.shards;
    if (footprint.tensors.empty()) {
        return use;  // built from tensors: everything in memory already
    }
    use.checkpointBytes = footprint.fileBytes;
    use.shards = static_cast<int>(footprint.shards.size());
    use.checkpointDtype = footprint.fileDtype();
    const ComputePlacement placement{fromScalarType(model.dtype()).value_or(DType::F32),
                                     model.device().is_cpu()};
    const JobTouch stem = jobTouch(footprint, -1, false, placement);
    use.embeddingBytes = stem.residentBytes;
    qint64 previous = stem.residentBytes;
    for (int l = 0; l < footprint.layers; ++l) {
        const qint64 upTo = jobTouch(footprint, l, false, placement).residentBytes;
        use.layerBytes.push_back(upTo - previous);
        previous = upTo;
    }
    use.headBytes =
            jobTouch(footprint, footprint.layers - 1, true, placement).residentBytes - previous;
    return use;
}

}  // namespace

ModelInfo LanguageModel::info() const
{
    const ModelConfig &c = m_impl->model->config();
    ModelInfo info;
    info.setPath(m_impl->directory);
    info.architecture = c.architecture;
    info.layers = c.numHiddenLayers;
    info.dModel = c.hiddenSize;
    info.heads = c.numAttentionHeads;
    info.kvHeads = c.numKeyValueHeads;
    info.headDim = c.headDim();
    info.ffn = c.intermediateSize;
    info.vocabSize = c.vocabSize;
    info.maxPositions = c.maxPositionEmbeddings;
    info.ropeTheta = c.ropeTheta;
    info.tiedEmbeddings = c.tieWordEmbeddings;
    info.parameters = m_impl->model->parameterCount();
    info.memoryBytes = m_impl->model->weightBytes();
    info.dtype =
            m_impl->model->autocast() ? Dtype::BFloat16Autocast : dtypeOf(m_impl->model->dtype());
    info.device = QString::fromStdString(m_impl->model->device().str());
    info.hasTokenizer = m_impl->tokenizer.vocabSize() > 0;
    info.hookNames = detail::hookNames(hookLayout(c));
    info.modelType = c.modelType;
    info.family = familyName(c.family);
    info.quirks = familyQuirks(c);
    info.bosRule = bosRule(c);
    info.residMid = !c.parallelResidual;
    info.centringApplies = centringApplies(c);
    info.weightUse = weightUse(*m_impl->model);
    return info;
}

const ModelConfig &LanguageModel::config() const
{
    return m_impl->model->config();
}

const Tokenizer &LanguageModel::tokenizer() const
{
    return m_impl->tokenizer;
}

detail::Transformer &LanguageModel::tensorModel() const
{
    return *m_impl->model;
}

Result<std::vector<int>> LanguageModel::encode(const QString &text, bool addBos) const
{
    if (m_impl->tokenizer.vocabSize() == 0) {
        return Status::invalidInput(
                QStringLiteral(
                        "%1 has no tokenizer (tokenizer.json, tokenizer.model or vocab.json + "
                        "merges.txt), so text cannot be encoded")
                        .arg(m_impl->directory));
    }
    const Encoding encoding = m_impl->tokenizer.encode(text, addBos);
    return std::vector<int>(encoding.ids.begin(), encoding.ids.end());
}

Result<ForwardOutput> LanguageModel::forward(const std::vector<int> &tokens,
                                             const ForwardOptions &options,
                                             const detail::HookSet *interventions) const
{
    Result<std::vector<ForwardOutput>> outputs = forwardBatch({tokens}, options, interventions);
    if (!outputs) {
        return outputs.status();
    }
    return std::move(outputs.value().front());
}

void LanguageModel::setSaeConventions(const SaeConventions &conventions)
{
    m_impl->conventions = conventions;
    m_impl->tokenizer.setPrependBos(conventions.prependBos, m_impl->model->config().bosTokenId);
}

SaeConventions LanguageModel::saeConventions() const
{
    return m_impl->conventions;
}

Result<std::vector<ForwardOutput>> LanguageModel::forwardBatch(
        const std::vector<std::vector<int>> &sequences, const ForwardOptions &options,
        const detail::HookSet *interventions) const
{
    if (sequences.empty()) {
        return Status::invalidInput(QStringLiteral("no sequences to run"));
    }
    size_t longest = 0;
    for (const std::vector<int> &tokens : sequences) {
        if (Status ok = m_impl->checkTokens(tokens); !ok.isOk()) {
            return ok;
        }
        longest = std::max(longest, tokens.size());
    }
    if (options.centerWritingWeights && !centringApplies(m_impl->model->config())) {
        return Status::invalidInput(QStringLiteral(
                "centring the writing weights applies to LayerNorm models (gpt2, gpt_neox) only; "
                "TransformerLens leaves RMSNorm models' residual stream as it is"));
    }
    const Result<std::vector<detail::HookPoint>> points = m_impl->parseHooks(options.captures);
    if (!points) {
        return points.status();
    }
    Result<std::vector<ForwardOutput>> computed =
            catchingExceptions<std::vector<ForwardOutput>>(QStringLiteral("forward"), [&] {
                c10::InferenceMode guard;
                const auto batch = static_cast<int64_t>(sequences.size());
                // Right padding with id 0: causality keeps it out of the real tokens' outputs.
                at::Tensor ids = at::zeros({batch, static_cast<int64_t>(longest)}, at::kLong);
                for (int64_t b = 0; b < batch; ++b) {
                    const std::vector<int> &tokens = sequences[static_cast<size_t>(b)];
                    int64_t *row = ids[b].data_ptr<int64_t>();
                    std::copy(tokens.begin(), tokens.end(), row);
                }
                detail::HookSet hooks = interventions ? *interventions : detail::HookSet();
                hooks.clearCaptures();
                if (options.centerWritingWeights || (m_impl->conventions.centreResiduals &&
                                                     centringApplies(m_impl->model->config()))) {
                    hooks.setCentred(true);
                }
                for (const detail::HookPoint &point : *points) {
                    hooks.capture(point);
                }
                const at::Tensor logits = m_impl->model->forward(
                        ids, &hooks, nullptr,
                        options.logits ? detail::LogitsMode::All : detail::LogitsMode::None);
                std::vector<ForwardOutput> outputs(sequences.size());
                for (int64_t b = 0; b < batch; ++b) {
                    const std::vector<int> &tokens = sequences[static_cast<size_t>(b)];
                    const auto length = static_cast<int64_t>(tokens.size());
                    ForwardOutput &out = outputs[static_cast<size_t>(b)];
                    out.tokens = tokens;
                    if (logits.defined()) {
                        out.logits = toFloatTensor(logits[b].narrow(0, 0, length));
                    }
                    for (const detail::HookPoint &point : *points) {
                        const at::Tensor captured = hooks.captured(point);
                        if (captured.defined()) {
                            out.activations[point.name()] =
                                    toFloatTensor(captured[b].narrow(0, 0, length));
                        }
                    }
                }
                return Result<std::vector<ForwardOutput>>(std::move(outputs));
            });
    // Zero-copy weights still read the files: a truncated one read as zeros.
    if (Status unchanged = checkMappingsUnchanged(m_impl->archive); !unchanged.isOk()) {
        return unchanged;
    }
    return computed;
}

Result<GenerateResult> LanguageModel::generate(const QString &prompt,
                                               const GenerateOptions &options,
                                               const TokenCallback &callback,
                                               detail::HookSet *hooks) const
{
    Result<std::vector<int>> tokens = encode(prompt, options.addBos);
    if (!tokens) {
        return tokens.status();
    }
    return generateFromTokens(*tokens, options, callback, hooks);
}

Result<GenerateResult> LanguageModel::generateFromTokens(const std::vector<int> &prompt,
                                                         const GenerateOptions &options,
                                                         const TokenCallback &callback,
                                                         detail::HookSet *hooks) const
{
    // One generation loop for everything: GenerationSession (what the engine steps slice by
    // slice) driven to the end.
    Result<std::unique_ptr<GenerationSession>> session =
            GenerationSession::startFromTokens(*this, prompt, options, hooks);
    if (!session) {
        return session.status();
    }
    GenerationSession &generation = *session.value();
    bool stopped = false;
    while (!generation.isFinished()) {
        Result<GeneratedToken> token = generation.step();
        if (!token) {
            return token.status();
        }
        if (callback && !callback(*token)) {
            generation.cancel();
            stopped = true;  // "cancelled" even when this was the last token anyway
        }
    }
    if (Status unchanged = checkMappingsUnchanged(m_impl->archive); !unchanged.isOk()) {
        return unchanged;
    }
    GenerateResult result = generation.result();
    if (stopped) {
        result.stopReason = QStringLiteral("cancelled");
    }
    return result;
}

}  // namespace gyrus::gpu
