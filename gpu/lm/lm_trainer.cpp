#include "gpu/lm/lm_trainer.h"

#include "gpu/lm/corpus_windows.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/model/torch_compat.h"
#include "gpu/model/transformer_ops.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSaveFile>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <optional>
#include <random>

namespace gyrus::gpu {

namespace {

std::string layerName(int layer, const char *suffix)
{
    return "model.layers." + std::to_string(layer) + "." + suffix;
}

// Training-safe SwiGLU: transformer_ops' inference version works in place, which autograd cannot
// differentiate.
at::Tensor swiGlu(const at::Tensor &x, const at::Tensor &gate, const at::Tensor &up,
                  const at::Tensor &down)
{
    return at::linear(at::silu(at::linear(x, gate)) * at::linear(x, up), down);
}

}  // namespace

struct LmTrainer::Impl
{
    LmTrainConfig config;
    const TokenCorpus *train = nullptr;
    const TokenCorpus *heldout = nullptr;
    at::Device device = at::kCPU;
    // Hugging Face names -> fp32 master weights (requires_grad), in file order.
    std::vector<std::pair<std::string, at::Tensor>> params;
    std::vector<at::Tensor> adamM;
    std::vector<at::Tensor> adamV;
    std::vector<bool> decays;  // weight decay on matrices, not on norm gains
    qint64 step = 0;
    QElapsedTimer clock;
    qint64 tokensSinceClock = 0;

    at::Tensor &param(const std::string &name)
    {
        for (auto &[n, t] : params) {
            if (n == name) {
                return t;
            }
        }
        TORCH_CHECK(false, "no parameter ", name);
    }

    /// Mean cross-entropy; targets equal to `ignoreIndex` (BOS in evaluations: it is given, not
    /// predicted, as in the n-gram baselines) do not count.
    at::Tensor forwardLoss(const at::Tensor &inputs, const at::Tensor &targets,
                           int64_t ignoreIndex = -100)
    {
        const ModelConfig &m = config.model;
        const int64_t batch = inputs.size(0);
        const int64_t tokens = inputs.size(1);
        const int heads = m.numAttentionHeads;
        const int kvHeads = m.numKeyValueHeads;
        const int headDim = m.headDim();
        const detail::RopeTables rope = detail::ropeTables(
                at::arange(tokens, at::TensorOptions().dtype(at::kLong).device(device)), headDim,
                m.ropeTheta, m.ropeScaling ? m.ropeScaling->factor : 1.0);
        at::Tensor x = at::embedding(param("model.embed_tokens.weight"), inputs);
        for (int layer = 0; layer < m.numHiddenLayers; ++layer) {
            const at::Tensor h = detail::rmsNorm(
                    x, param(layerName(layer, "input_layernorm.weight")), m.rmsNormEps);
            at::Tensor q = at::linear(h, param(layerName(layer, "self_attn.q_proj.weight")))
                                   .view({batch, tokens, heads, headDim});
            at::Tensor k = at::linear(h, param(layerName(layer, "self_attn.k_proj.weight")))
                                   .view({batch, tokens, kvHeads, headDim});
            const at::Tensor v = at::linear(h, param(layerName(layer, "self_attn.v_proj.weight")))
                                         .view({batch, tokens, kvHeads, headDim});
            q = detail::applyRope(q, rope);
            k = detail::applyRope(k, rope);
            const at::Tensor attended = detail::groupedQueryAttention(
                    q, k.transpose(1, 2).contiguous(), v.transpose(1, 2).contiguous());
            x = x + at::linear(attended, param(layerName(layer, "self_attn.o_proj.weight")));
            const at::Tensor h2 = detail::rmsNorm(
                    x, param(layerName(layer, "post_attention_layernorm.weight")), m.rmsNormEps);
            x = x + swiGlu(h2, param(layerName(layer, "mlp.gate_proj.weight")),
                           param(layerName(layer, "mlp.up_proj.weight")),
                           param(layerName(layer, "mlp.down_proj.weight")));
        }
        x = detail::rmsNorm(x, param("model.norm.weight"), m.rmsNormEps);
        const at::Tensor head =
                m.tieWordEmbeddings ? param("model.embed_tokens.weight") : param("lm_head.weight");
        const at::Tensor logits = at::linear(x, head).to(at::kFloat);
        return at::cross_entropy_loss(logits.view({-1, logits.size(-1)}), targets.reshape({-1}), {},
                                      at::Reduction::Mean, ignoreIndex);
    }

    // Batches depend only on (seed, step): resuming needs no sampler state.
    std::pair<at::Tensor, at::Tensor> batchAt(qint64 stepIndex) const
    {
        const int64_t length = config.contextLength;
        const auto span = static_cast<int64_t>(train->tokens.size()) - length - 1;
        std::mt19937_64 rng(config.seed * 0x9E3779B97F4A7C15ULL + quint64(stepIndex) + 1);
        std::uniform_int_distribution<int64_t> start(0, span);
        std::vector<int64_t> window(static_cast<size_t>(config.batchSize * (length + 1)));
        for (int b = 0; b < config.batchSize; ++b) {
            const int64_t s = start(rng);
            for (int64_t t = 0; t <= length; ++t) {
                window[size_t(b * (length + 1) + t)] = train->tokens[size_t(s + t)];
            }
        }
        const at::Tensor all =
                at::from_blob(window.data(), {config.batchSize, length + 1}, at::kLong)
                        .clone()
                        .to(device);
        return {all.narrow(1, 0, length), all.narrow(1, 1, length)};
    }
};

LmTrainer::LmTrainer(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

LmTrainer::~LmTrainer() = default;

Result<std::unique_ptr<LmTrainer>> LmTrainer::create(const LmTrainConfig &config,
                                                     const TokenCorpus *train,
                                                     const TokenCorpus *heldout)
{
    if (Status valid = validateModelConfig(config.model); !valid.isOk()) {
        return valid;
    }
    if (!train || static_cast<int64_t>(train->tokens.size()) < config.contextLength + 2) {
        return Status::invalidInput(QStringLiteral("training corpus shorter than one sequence"));
    }
    if (config.batchSize <= 0 || config.contextLength <= 1 || config.steps <= 0) {
        return Status::invalidInput(
                QStringLiteral("batch size, context length and steps must be positive"));
    }
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->train = train;
    impl->heldout = heldout;
    impl->device = at::Device(config.device.toStdString());
    const ModelConfig &m = config.model;
    const auto names = expectedLlamaTensors(m);
    at::Generator generator = at::detail::createCPUGenerator(config.seed);
    const double residualStd = 0.02 / std::sqrt(2.0 * m.numHiddenLayers);
    for (const auto &[name, shape] : names) {
        std::vector<int64_t> sizes(shape.begin(), shape.end());
        at::Tensor tensor;
        const bool isNorm = name.endsWith(QLatin1String("norm.weight"));
        if (isNorm) {
            tensor = at::ones(sizes, at::kFloat);
        } else {
            const bool residual = name.endsWith(QLatin1String("o_proj.weight")) ||
                                  name.endsWith(QLatin1String("down_proj.weight"));
            tensor = at::empty(sizes, at::kFloat)
                             .normal_(0.0, residual ? residualStd : 0.02, generator);
        }
        tensor = tensor.to(impl->device).set_requires_grad(true);
        impl->params.emplace_back(name.toStdString(), tensor);
        impl->adamM.push_back(at::zeros_like(tensor).detach());
        impl->adamV.push_back(at::zeros_like(tensor).detach());
        impl->decays.push_back(!isNorm);
    }
    return std::unique_ptr<LmTrainer>(new LmTrainer(std::move(impl)));
}

double LmTrainer::learningRateAt(qint64 step) const
{
    const LmTrainConfig &c = m_impl->config;
    if (step < c.warmupSteps) {
        return c.learningRate * double(step + 1) / double(c.warmupSteps);
    }
    const double progress =
            double(step - c.warmupSteps) / double(qMax<qint64>(1, c.steps - c.warmupSteps));
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * qMin(1.0, progress)));
    return c.learningRate *
           (c.minLearningRateFraction + (1.0 - c.minLearningRateFraction) * cosine);
}

qint64 LmTrainer::stepsDone() const
{
    return m_impl->step;
}

bool LmTrainer::finished() const
{
    return m_impl->step >= m_impl->config.steps;
}

qint64 LmTrainer::parameterCount() const
{
    qint64 total = 0;
    for (const auto &[name, tensor] : m_impl->params) {
        total += tensor.numel();
    }
    return total;
}

Result<qint64> LmTrainer::run(qint64 steps,
                              const std::function<bool(const LmTrainStep &)> &callback)
{
    Impl &d = *m_impl;
    const LmTrainConfig &c = d.config;
    if (!d.clock.isValid()) {
        d.clock.start();
        d.tokensSinceClock = 0;
    }
    qint64 ran = 0;
    const bool autocast =
            (c.precision == Dtype::BFloat16 || c.precision == Dtype::BFloat16Autocast) &&
            d.device.is_cuda();
    while (ran < steps && d.step < c.steps) {
        const auto [inputs, targets] = d.batchAt(d.step);
        for (auto &[name, p] : d.params) {
            p.mutable_grad() = at::Tensor();
        }
        at::Tensor loss;
        {
            c10::AutoGradMode grad(true);
            {
                std::optional<detail::compat::AutocastScope> scope;
                if (autocast) {
                    scope.emplace(at::kCUDA, at::kBFloat16);
                }
                loss = d.forwardLoss(inputs, targets);
            }
            loss.backward();
        }
        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue)) {
            return Status::internal(
                    QStringLiteral(
                            "training diverged at step %1 (loss %2): lower the learning rate")
                            .arg(d.step)
                            .arg(lossValue));
        }
        LmTrainStep report;
        {
            c10::NoGradGuard noGrad;
            at::Tensor squared = at::zeros({}, at::TensorOptions().device(d.device));
            for (auto &[name, p] : d.params) {
                squared += p.grad().pow(2).sum();
            }
            const double norm = std::sqrt(squared.item<double>());
            const double scale = norm > c.gradientClip ? c.gradientClip / (norm + 1e-6) : 1.0;
            const double lr = learningRateAt(d.step);
            const double t = double(d.step + 1);
            const double correction1 = 1.0 - std::pow(c.beta1, t);
            const double correction2 = 1.0 - std::pow(c.beta2, t);
            for (size_t i = 0; i < d.params.size(); ++i) {
                at::Tensor &p = d.params[i].second;
                const at::Tensor g = p.grad() * scale;
                d.adamM[i].mul_(c.beta1).add_(g, 1.0 - c.beta1);
                d.adamV[i].mul_(c.beta2).addcmul_(g, g, 1.0 - c.beta2);
                if (d.decays[i] && c.weightDecay > 0) {
                    p.mul_(1.0 - lr * c.weightDecay);  // decoupled (AdamW)
                }
                const at::Tensor denominator = (d.adamV[i] / correction2).sqrt_().add_(c.epsilon);
                p.addcdiv_(d.adamM[i], denominator, -lr / correction1);
            }
            report.learningRate = lr;
            report.gradientNorm = norm;
        }
        ++d.step;
        ++ran;
        const qint64 batchTokens = qint64(c.batchSize) * c.contextLength;
        d.tokensSinceClock += batchTokens;
        report.step = d.step;
        report.tokens = d.step * batchTokens;
        report.loss = lossValue;
        const double seconds = qMax<qint64>(1, d.clock.elapsed()) / 1000.0;
        report.tokensPerSecond = double(d.tokensSinceClock) / seconds;
        report.etaSeconds =
                double(c.steps - d.step) * batchTokens / qMax(1.0, report.tokensPerSecond);
        if (c.evalEvery > 0 && d.heldout && (d.step % c.evalEvery == 0 || d.step == c.steps)) {
            report.heldoutLoss = heldoutLoss();
        }
        if (callback && !callback(report)) {
            break;
        }
    }
    return ran;
}

double LmTrainer::heldoutLoss()
{
    Impl &d = *m_impl;
    if (!d.heldout) {
        return std::nan("");
    }
    c10::NoGradGuard noGrad;
    const int64_t length = d.config.contextLength;
    const auto available = static_cast<int64_t>(d.heldout->tokens.size()) / (length + 1);
    const int64_t sequences = qMin<int64_t>(d.config.evalSequences, available);
    if (sequences <= 0) {
        return std::nan("");
    }
    double total = 0.0;
    double weight = 0.0;
    const int64_t chunk = 16;
    for (int64_t first = 0; first < sequences; first += chunk) {
        const int64_t count = qMin(chunk, sequences - first);
        const at::Tensor all = detail::corpusWindows(*d.heldout, first, count, length, d.device);
        const at::Tensor targets = all.narrow(1, 1, length);
        const double counted = targets.ne(d.config.model.bosTokenId).sum().item<double>();
        total += d.forwardLoss(all.narrow(1, 0, length), targets, d.config.model.bosTokenId)
                         .item<double>() *
                 counted;
        weight += counted;
    }
    return total / weight;
}

Status LmTrainer::saveCheckpoint(const QString &path) const
{
    const Impl &d = *m_impl;
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (size_t i = 0; i < d.params.size(); ++i) {
        tensors.emplace_back("param/" + d.params[i].first, d.params[i].second.detach());
        tensors.emplace_back("adam_m/" + d.params[i].first, d.adamM[i]);
        tensors.emplace_back("adam_v/" + d.params[i].first, d.adamV[i]);
    }
    QMap<QString, QString> metadata;
    metadata.insert(QStringLiteral("step"), QString::number(d.step));
    metadata.insert(QStringLiteral("seed"), QString::number(d.config.seed));
    metadata.insert(QStringLiteral("config"),
                    QString::fromUtf8(modelConfigToJson(d.config.model)).simplified());
    const QString temporary = path + QStringLiteral(".partial");
    if (Status written = writeTensors(temporary, tensors, metadata); !written.isOk()) {
        return written;
    }
    QFile::remove(path);
    if (!QFile::rename(temporary, path)) {
        return Status::internal(QStringLiteral("%1: cannot replace the checkpoint").arg(path));
    }
    return Status::ok();
}

Status LmTrainer::resume(const QString &path)
{
    Impl &d = *m_impl;
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
    if (!archive) {
        return archive.status();
    }
    bool stepOk = false;
    const qint64 step = archive->metadata().value(QStringLiteral("step")).toLongLong(&stepOk);
    if (!stepOk) {
        return Status::invalidInput(
                QStringLiteral("%1: not a train-lm checkpoint (no step)").arg(path));
    }
    c10::NoGradGuard noGrad;
    for (size_t i = 0; i < d.params.size(); ++i) {
        const QString name = QString::fromStdString(d.params[i].first);
        const at::Tensor saved[3] = {tensorFromArchive(*archive, QStringLiteral("param/") + name),
                                     tensorFromArchive(*archive, QStringLiteral("adam_m/") + name),
                                     tensorFromArchive(*archive, QStringLiteral("adam_v/") + name)};
        at::Tensor *targets[3] = {&d.params[i].second, &d.adamM[i], &d.adamV[i]};
        for (int j = 0; j < 3; ++j) {
            if (!saved[j].defined() || saved[j].sizes() != targets[j]->sizes()) {
                return Status::invalidInput(
                        QStringLiteral("%1: tensor for '%2' missing or of another shape: the "
                                       "checkpoint is from a different model configuration")
                                .arg(path, name));
            }
            targets[j]->copy_(saved[j]);
        }
    }
    // Copied: from here the file may change; before, a truncation reads zeros
    // (mapped_file_guard.h).
    if (Status unchanged = checkMappingsUnchanged(*archive); !unchanged.isOk()) {
        return unchanged;
    }
    d.step = step;
    d.clock.invalidate();
    return Status::ok();
}

Status LmTrainer::saveHuggingFace(const QString &directory, Dtype dtype,
                                  const QString &tokenizerModel) const
{
    const Impl &d = *m_impl;
    if (!QDir().mkpath(directory)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the directory").arg(directory));
    }
    // The stored type and config.json's torch_dtype spelling of it.
    at::ScalarType type = at::kFloat;
    QString torchDtype = QStringLiteral("float32");
    if (dtype == Dtype::Float16) {
        type = at::kHalf;
        torchDtype = QStringLiteral("float16");
    } else if (dtype == Dtype::BFloat16 || dtype == Dtype::BFloat16Autocast) {
        type = at::kBFloat16;
        torchDtype = QStringLiteral("bfloat16");
    }
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto &[name, p] : d.params) {
        tensors.emplace_back(name, p.detach().to(at::kCPU).to(type).contiguous());
    }
    QMap<QString, QString> metadata{{QStringLiteral("format"), QStringLiteral("pt")}};
    if (Status written = writeTensors(QDir(directory).filePath(QStringLiteral("model.safetensors")),
                                      tensors, metadata);
        !written.isOk()) {
        return written;
    }
    ModelConfig config = d.config.model;
    config.torchDtype = torchDtype;
    QSaveFile json(QDir(directory).filePath(QStringLiteral("config.json")));
    if (!json.open(QIODevice::WriteOnly) || json.write(modelConfigToJson(config)) < 0 ||
        !json.commit()) {
        return Status::internal(QStringLiteral("%1: cannot write config.json").arg(directory));
    }
    const QString tokenizerTarget = QDir(directory).filePath(QStringLiteral("tokenizer.model"));
    if (QFileInfo(tokenizerModel).absoluteFilePath() !=
        QFileInfo(tokenizerTarget).absoluteFilePath()) {
        QFile::remove(tokenizerTarget);
        if (!QFile::copy(tokenizerModel, tokenizerTarget)) {
            return Status::invalidInput(
                    QStringLiteral("%1: cannot copy to %2").arg(tokenizerModel, directory));
        }
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
