#include "gpu/sae/training/sae_trainer.h"

#include "core/base/remaining_time.h"
#include "core/sae/sae_training_json.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/training/batch_reducer.h"
#include "gpu/sae/training/sae_cpu_kernels.h"
#include "gpu/sae/training/sae_objective.h"
#include "gpu/sae/training/sae_trainer_state.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gyrus::gpu {

namespace {

constexpr int kDensityBins = 20;
constexpr double kDenseThreshold = 0.1;
const QString kStateFile = QStringLiteral("trainer_state.json");
// Checkpoints before "tensors_file" existed in the state: one fixed name.
const QString kTensorsFile = QStringLiteral("trainer_state.safetensors");

// A checkpoint is two files written one after the other, and a process may be killed between
// them. Each save writes its tensors under a name of its own (the step), then the state JSON
// that names them (atomically), then removes the older tensors: whenever the process stops, the
// JSON on disk names a complete tensors file of its own step.
QString tensorsFileForStep(int64_t step)
{
    return QStringLiteral("trainer_state.step%1.safetensors").arg(step);
}

// Slots of SaeTrainerState::metricSums.
enum MetricSlot : int64_t
{
    kLoss,
    kMse,
    kVariance,
    kSquaredNorm,
    kL0,
    kL1,
    kSparsity,
    kAuxK,
    kMetricSlots,
};

bool unitNormDecoder(SaeArchitecture architecture)
{
    return architecture != SaeArchitecture::Relu;
}

int64_t stepsOf(const SaeTrainingConfig &config)
{
    return std::max<int64_t>(1, config.totalTokens / std::max<int64_t>(1, config.batchSize));
}

double defaultLearningRate(const SaeTrainingConfig &config)
{
    if (config.learningRate > 0) {
        return config.learningRate;
    }
    if (config.sae.architecture == SaeArchitecture::Relu) {
        return 5e-5;  // Anthropic April 2024
    }
    return 2e-4 / std::sqrt(static_cast<double>(config.sae.dSae) / 16384.0);  // Gao et al.
}

int64_t deadWindowOf(const SaeTrainingConfig &config)
{
    if (config.deadWindowTokens > 0) {
        return config.deadWindowTokens;
    }
    return std::min<int64_t>(10'000'000, std::max(config.batchSize, config.totalTokens / 10));
}

Status checkConfig(const SaeTrainingConfig &c, int64_t sourceColumns)
{
    if (c.sae.dIn != sourceColumns) {
        return Status::invalidInput(QStringLiteral("d_in is %1 but the activations have %2 columns")
                                            .arg(c.sae.dIn)
                                            .arg(sourceColumns));
    }
    if (c.sae.dSae < 1) {
        return Status::invalidInput(QStringLiteral("d_sae must be at least 1"));
    }
    if (c.batchSize < 1 || c.totalTokens < 1) {
        return Status::invalidInput(QStringLiteral("batch size and tokens must be positive"));
    }
    if (c.dataShards < 1 || c.batchSize % c.dataShards != 0) {
        return Status::invalidInput(
                QStringLiteral("the batch size (%1) must be a multiple of the data shards (%2): "
                               "every batch takes the same number of rows from each shard")
                        .arg(c.batchSize)
                        .arg(c.dataShards));
    }
    const bool topK = c.sae.architecture == SaeArchitecture::TopK ||
                      c.sae.architecture == SaeArchitecture::BatchTopK;
    if (topK && (c.sae.k < 1 || c.sae.k > c.sae.dSae)) {
        return Status::invalidInput(
                QStringLiteral("k = %1 must be in 1..d_sae (%2)").arg(c.sae.k).arg(c.sae.dSae));
    }
    if (c.decayFraction < 0 || c.decayFraction > 1 || c.warmupFraction < 0 ||
        c.warmupFraction + c.decayFraction > 1 || c.sparsityWarmupFraction < 0 ||
        c.sparsityWarmupFraction > 1) {
        return Status::invalidInput(
                QStringLiteral("warm-up and decay fractions must lie in 0..1 and not overlap"));
    }
    if (!(c.l1Coefficient >= 0) || !(c.l0Coefficient >= 0) || !(c.learningRate >= 0) ||
        !(c.jumpReluBandwidth > 0) || !(c.jumpReluInitThreshold > 0)) {
        return Status::invalidInput(QStringLiteral(
                "coefficients and learning rate must be >= 0; JumpReLU bandwidth and initial "
                "threshold > 0"));
    }
    if (c.device.startsWith(QLatin1String("cuda")) && !at::hasCUDA()) {
        return Status::invalidInput(
                QStringLiteral("device '%1' requested but this LibTorch has no CUDA device")
                        .arg(c.device));
    }
    if (!c.device.startsWith(QLatin1String("cuda")) && c.device != QLatin1String("cpu")) {
        return Status::invalidInput(
                QStringLiteral("unknown device '%1' (cpu, cuda, cuda:N)").arg(c.device));
    }
    return Status::ok();
}

}  // namespace

struct SaeTrainer::Impl
{
    SaeTrainingConfig config;
    std::shared_ptr<detail::ActivationSource> source;
    detail::SaeTrainerState state;
    at::Device device = at::kCPU;
    int64_t totalSteps = 1;
    double baseLearningRate = 0;
    int64_t deadWindow = 0;
    std::function<void(const SaeTrainMetrics &)> callback;
    SaeTrainMetrics latest;
    SaeStepDiagnostics last;
    at::Tensor lastNorm;  // 0-d, before clipping; read lazily (no host sync per step)
    at::Tensor lastCoefficient;
    detail::SaeWorkspace workspace;  // CPU: [B, d_sae] buffers reused from step to step
    QElapsedTimer clock;
    // The ETA's pace is measured from the end of this session's first step: that step also
    // fills a streamed source's whole shuffle buffer (later refills are half of it) and warms
    // up the allocator, so counting it would overstate the time left.
    QElapsedTimer paceClock;
    int64_t paceStep = 0;
    int64_t tokensThisSession = 0;
    double secondsBefore = 0;  // training time of earlier sessions (from the checkpoint)
    // Data-parallel: the other ranks (null in one process).
    std::shared_ptr<detail::BatchReducer> reducer;
    // Wall time and collective time at the last report (per-step figures of the metrics).
    double secondsAtReport = 0;
    double collectiveSecondsAtReport = 0;
    int64_t stepAtReport = 0;

    bool writesLog() const
    {
        return !config.logPath.isEmpty() && (reducer == nullptr || reducer->rank() == 0);
    }

    // Rows of one batch over every rank.
    int64_t wholeBatchRows() const { return config.batchSize; }
};

SaeTrainer::SaeTrainer()
    : m_impl(std::make_unique<Impl>())
{}

SaeTrainer::~SaeTrainer() = default;

Result<std::unique_ptr<SaeTrainer>> SaeTrainer::create(
        const SaeTrainingConfig &configIn, std::shared_ptr<detail::ActivationSource> source,
        std::shared_ptr<detail::BatchReducer> reducer)
{
    if (!source) {
        return Status::invalidInput(QStringLiteral("no activation source"));
    }
    SaeTrainingConfig config = configIn;
    if (config.sae.dIn == 0) {
        config.sae.dIn = source->columns();
    }
    // Resolved here, so that a checkpoint records the number of rows the scale came from.
    if (config.normalisationTokens <= 0) {
        config.normalisationTokens = SaeTrainingConfig::kDefaultNormalisationTokens;
    }
    if (Status status = checkConfig(config, source->columns()); !status.isOk()) {
        return status;
    }
    // The April recipe encodes x directly; the unit-norm architectures subtract b_dec first.
    config.sae.applyBDecToInput = config.sae.architecture != SaeArchitecture::Relu;
    std::unique_ptr<SaeTrainer> trainer(new SaeTrainer());
    Impl &impl = *trainer->m_impl;
    impl.config = config;
    impl.source = std::move(source);
    impl.reducer = std::move(reducer);
    impl.device = at::Device(config.device.toStdString());
    impl.totalSteps = stepsOf(config);
    impl.baseLearningRate = defaultLearningRate(config);
    impl.deadWindow = deadWindowOf(config);

    // Input scale: E‖s·x‖ = √d_in (Anthropic April 2024), estimated before training; the
    // source is rewound so training sees the data from the start.
    const int64_t d = config.sae.dIn;
    const int64_t n = config.sae.dSae;
    // A whole number of rows per data shard.
    const int64_t sampleRows =
            std::max(config.dataShards,
                     std::clamp<int64_t>(config.normalisationTokens, 1, impl.source->rows()) /
                             config.dataShards * config.dataShards);
    Result<at::Tensor> sample = impl.source->next(sampleRows);
    if (!sample) {
        return sample.status();
    }
    if (Status rewound = impl.source->seek(0); !rewound.isOk()) {
        return rewound;
    }
    // Data-parallel: Σ‖x‖ and Σx over every rank's share of the sample.
    at::Tensor sampleSums;
    double meanNorm = 0;
    try {
        if (impl.reducer) {
            sampleSums =
                    at::cat({sample.value().norm(2, {1}).sum(0, false, at::kDouble).reshape({1}),
                             sample.value().sum(0, false, at::kDouble)});
            impl.reducer->sum({sampleSums});
            meanNorm = sampleSums[0].item<double>() / static_cast<double>(sampleRows);
        } else {
            meanNorm = sample.value().norm(2, {1}).mean().item<double>();
        }
    } catch (const detail::CollectiveError &error) {
        return Status::internal(QString::fromStdString(error.what()));
    }
    if (!(meanNorm > 0)) {
        return Status::invalidInput(
                QStringLiteral("%1: the activations are all zero").arg(impl.source->describe()));
    }
    detail::SaeTrainerState &state = impl.state;
    state.inputScale = std::sqrt(static_cast<double>(d)) / meanNorm;

    // Initialisation (sae_sota.md §0): random decoder directions with a fixed norm, encoder =
    // decoderᵀ, b_enc = 0, b_dec = 0 (ReLU) or the sample mean (architectures that subtract it).
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(config.seed);
    const double initNorm = config.decoderInitNorm > 0
                                    ? config.decoderInitNorm
                                    : (unitNormDecoder(config.sae.architecture) ? 1.0 : 0.1);
    at::Tensor wDec = at::randn({n, d}, generator, at::TensorOptions().dtype(at::kFloat));
    wDec = wDec / wDec.norm(2, {1}, true) * initNorm;
    detail::SaeWeights w;
    w.wDec = wDec.to(impl.device);
    w.wEnc = wDec.t().contiguous().to(impl.device);
    w.bEnc = at::zeros({n}, w.wDec.options());
    if (!config.sae.applyBDecToInput) {
        w.bDec = at::zeros({d}, w.wDec.options());
    } else if (impl.reducer) {
        w.bDec = (sampleSums.narrow(0, 1, d) * state.inputScale / static_cast<double>(sampleRows))
                         .to(at::kFloat)
                         .to(impl.device);
    } else {
        w.bDec = (sample.value() * state.inputScale).mean(0).to(impl.device);
    }
    if (config.sae.architecture == SaeArchitecture::JumpRelu) {
        w.threshold = at::full({n}, config.jumpReluInitThreshold, w.wDec.options());
        state.logThreshold = w.threshold.log();
    } else if (config.sae.architecture == SaeArchitecture::BatchTopK) {
        w.threshold = at::zeros({n}, w.wDec.options());
    }
    state.module = detail::SaeModule(config.sae, std::move(w));
    state.parameterNames = {"W_enc", "b_enc", "W_dec", "b_dec"};
    if (state.logThreshold.defined()) {
        state.parameterNames.emplace_back("log_threshold");
    }
    for (const at::Tensor &p : state.parameters()) {
        state.adamFirstMoment.push_back(at::zeros_like(p));
        state.adamSecondMoment.push_back(at::zeros_like(p));
    }
    const auto counters = at::TensorOptions().dtype(at::kLong).device(impl.device);
    state.tokensSinceFired = at::zeros({n}, counters);
    state.firedInWindow = at::zeros({n}, counters);
    state.firedForExport = at::zeros({n}, counters);
    state.batchTopKTheta = at::zeros({}, state.module.weights().wDec.options());
    state.metricSums =
            at::zeros({kMetricSlots}, at::TensorOptions().dtype(at::kDouble).device(impl.device));
    if (impl.writesLog()) {
        QFile log(config.logPath);
        if (!log.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            return Status::invalidInput(
                    QStringLiteral("%1: cannot write the training log").arg(config.logPath));
        }
    }
    impl.clock.start();
    return trainer;
}

double SaeTrainer::learningRateAt(int64_t step) const
{
    const Impl &impl = *m_impl;
    const int64_t total = impl.totalSteps;
    const auto warmup = static_cast<int64_t>(std::llround(impl.config.warmupFraction * total));
    const auto decay = static_cast<int64_t>(std::llround(impl.config.decayFraction * total));
    double factor = 1.0;
    if (warmup > 0 && step < warmup) {
        factor = static_cast<double>(step + 1) / static_cast<double>(warmup);
    }
    // Linear decay to zero over the last `decay` steps (not the first: seed bug §13.1).
    const int64_t decayStart = total - decay;
    if (decay > 0 && step >= decayStart) {
        factor = std::min(factor, static_cast<double>(total - step) / static_cast<double>(decay));
    }
    return impl.baseLearningRate * factor;
}

double SaeTrainer::sparsityCoefficientAt(int64_t step) const
{
    const Impl &impl = *m_impl;
    double coefficient = 0;
    switch (impl.config.sae.architecture) {
        case SaeArchitecture::Relu:
            coefficient = impl.config.l1Coefficient;
            break;
        case SaeArchitecture::JumpRelu:
            coefficient = impl.config.l0Coefficient > 0
                                  ? impl.config.l0Coefficient
                                  : 0.01 * static_cast<double>(impl.config.sae.dIn);
            break;
        default:
            return 0;
    }
    const double warmup = impl.config.sparsityWarmupFraction * static_cast<double>(impl.totalSteps);
    if (warmup <= 0) {
        return coefficient;
    }
    return coefficient * std::min(1.0, static_cast<double>(step) / warmup);
}

Status SaeTrainer::trainOneStep()
{
    Impl &impl = *m_impl;
    detail::SaeTrainerState &state = impl.state;
    const SaeTrainingConfig &config = impl.config;
    const int64_t step = state.step;
    Result<at::Tensor> batch = impl.source->next(config.batchSize);
    if (!batch) {
        return batch.status();
    }
    const at::Tensor x = batch.value().to(impl.device).mul_(state.inputScale);

    detail::SaeLossSettings settings;
    settings.sparsityCoefficient = sparsityCoefficientAt(step);
    settings.auxKCoefficient = config.auxKCoefficient;
    settings.kAux = config.kAux > 0 ? config.kAux : std::max<int64_t>(1, config.sae.dIn / 2);
    settings.deadMask = state.tokensSinceFired >= impl.deadWindow;
    settings.jumpReluBandwidth = config.jumpReluBandwidth;
    if (impl.device.is_cpu()) {
        settings.workspace = &impl.workspace;
    }
    settings.reducer = impl.reducer.get();
    settings.wholeBatchRows = impl.wholeBatchRows();
    if (impl.device.is_cuda() || config.precisionOnCpu) {
        settings.matmulType = config.precision == Dtype::BFloat16  ? at::kBFloat16
                              : config.precision == Dtype::Float16 ? at::kHalf
                                                                   : at::kFloat;
    }
    detail::SaeStepResult result =
            detail::saeForwardBackward(state.module, x, settings, /*withGradients=*/true);
    detail::SaeGradients &g = result.gradients;
    const detail::SaeWeights &w = state.module.weights();
    // Data-parallel: this rank's loss terms are its rows' share of the whole batch's means, so
    // sums over the ranks give the whole batch's gradients, firing counts and terms. One
    // bucketed all-reduce carries them all; every rank then takes the same step.
    at::Tensor terms;
    at::Tensor fired = result.loss.fired;
    if (impl.reducer) {
        const detail::SaeLossTerms &loss = result.loss;
        const int64_t n = config.sae.dSae;
        const at::Tensor statistics = at::cat(
                {fired.to(at::kDouble),
                 at::stack({loss.total, loss.mse, loss.l0, loss.l1, loss.sparsity, loss.auxK})
                         .to(at::kDouble),
                 x.to(at::kDouble).square().sum().reshape({1}), x.sum(0, false, at::kDouble)});
        std::vector<at::Tensor> reduced = {g.wEnc, g.bEnc, g.wDec, g.bDec};
        if (g.logThreshold.defined()) {
            reduced.push_back(g.logThreshold);
        }
        reduced.push_back(statistics);
        impl.reducer->sum(reduced);
        const double whole = static_cast<double>(impl.wholeBatchRows());
        fired = statistics.narrow(0, 0, n).round().to(at::kLong);
        const at::Tensor sums = statistics.narrow(0, n, 6);
        const at::Tensor squares = statistics[n + 6];
        const at::Tensor mean = statistics.narrow(0, n + 7, x.size(1)) / whole;
        // Σ‖x − x̄‖² / B = Σ‖x‖² / B − ‖x̄‖².
        const at::Tensor variance = squares / whole - mean.square().sum();
        terms = at::stack(
                {sums[0], sums[1], variance, squares / whole, sums[2], sums[3], sums[4], sums[5]});
    }

    if (unitNormDecoder(config.sae.architecture)) {
        // Remove the gradient component parallel to each (unit) decoder row: the step then moves
        // along the sphere, and the renormalisation below only corrects second-order drift.
        const at::Tensor unit = w.wDec / w.wDec.norm(2, {1}, true).clamp_min(1e-12);
        g.wDec.sub_(unit * (g.wDec * unit).sum(1, true));
    }
    std::vector<at::Tensor> grads = {g.wEnc, g.bEnc, g.wDec, g.bDec};
    if (state.logThreshold.defined()) {
        grads.push_back(g.logThreshold);
    }
    const double lr = learningRateAt(step);
    state.adamSteps += 1;
    const double beta1 = config.adamBeta1;
    const double beta2 = config.adamBeta2;
    const double correction1 = 1.0 - std::pow(beta1, static_cast<double>(state.adamSteps));
    const double correction2 = 1.0 - std::pow(beta2, static_cast<double>(state.adamSteps));
    const std::vector<at::Tensor> params = state.parameters();
    if (impl.device.is_cpu()) {
        // One pass per parameter: the clipping coefficient rides in the fused Adam update.
        const double norm = std::sqrt(detail::sumOfSquares(grads));
        const double coefficient =
                config.gradientClip > 0 ? std::min(1.0, config.gradientClip / (norm + 1e-6)) : 1.0;
        impl.lastNorm = at::scalar_tensor(norm, x.options());
        impl.lastCoefficient = at::scalar_tensor(coefficient, x.options());
        detail::AdamSettings adam;
        adam.lr = lr;
        adam.beta1 = beta1;
        adam.beta2 = beta2;
        adam.epsilon = config.adamEpsilon;
        adam.weightDecay = config.weightDecay;
        adam.correction1 = correction1;
        adam.correction2 = correction2;
        adam.gradientScale = coefficient;
        for (size_t i = 0; i < params.size(); ++i) {
            at::Tensor p = params[i];
            detail::adamUpdate(p, grads[i], state.adamFirstMoment[i], state.adamSecondMoment[i],
                               adam);
        }
    } else {
        // On the GPU the norm stays a device tensor (no host sync per step).
        at::Tensor squared = at::zeros({}, x.options());
        for (const at::Tensor &grad : grads) {
            squared = squared + grad.square().sum();
        }
        impl.lastNorm = squared.sqrt();
        impl.lastCoefficient = at::ones({}, x.options());
        if (config.gradientClip > 0) {
            // As torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when above.
            impl.lastCoefficient = (config.gradientClip / (impl.lastNorm + 1e-6)).clamp_max(1.0);
            for (at::Tensor &grad : grads) {
                grad.mul_(impl.lastCoefficient);
            }
        }
        // Adam (as torch.optim.Adam/AdamW, decoupled weight decay), fp32 master weights and
        // moments.
        for (size_t i = 0; i < params.size(); ++i) {
            at::Tensor p = params[i];
            at::Tensor &m = state.adamFirstMoment[i];
            at::Tensor &v = state.adamSecondMoment[i];
            if (config.weightDecay > 0) {
                p.mul_(1.0 - lr * config.weightDecay);
            }
            m.mul_(beta1).add_(grads[i], 1.0 - beta1);
            v.mul_(beta2).addcmul_(grads[i], grads[i], 1.0 - beta2);
            const at::Tensor denominator =
                    (v.sqrt() / std::sqrt(correction2)).add_(config.adamEpsilon);
            p.addcdiv_(m, denominator, -lr / correction1);
        }
    }
    if (unitNormDecoder(config.sae.architecture)) {
        w.wDec.div_(w.wDec.norm(2, {1}, true).clamp_min(1e-12));
    }
    if (state.logThreshold.defined()) {
        w.threshold.copy_(state.logThreshold.exp());
    }
    if (config.sae.architecture == SaeArchitecture::BatchTopK &&
        step >= static_cast<int64_t>(config.batchTopKThresholdStartFraction * impl.totalSteps)) {
        // Inference threshold: running average of the smallest kept activation (dictionary_
        // learning's BatchTopK trainer); batches that kept nothing positive leave it unchanged.
        const at::Tensor smallest = result.loss.batchTopKMin;
        const at::Tensor valid = at::isfinite(smallest);
        const double beta = state.batchTopKThetaSet ? config.batchTopKThresholdBeta : 0.0;
        state.batchTopKTheta.copy_(at::where(valid,
                                             state.batchTopKTheta * beta + smallest * (1.0 - beta),
                                             state.batchTopKTheta));
        state.batchTopKThetaSet = true;
        w.threshold.fill_(state.batchTopKTheta);
    }

    // Firing statistics, kept on the device, counted over the whole batch.
    const int64_t rows = impl.reducer ? impl.wholeBatchRows() : x.size(0);
    state.tokensSinceFired.add_(rows).masked_fill_(fired > 0, 0);
    state.firedInWindow.add_(fired);
    state.tokensInWindow += rows;
    if (step >= impl.totalSteps / 2) {
        state.firedForExport.add_(fired);
        state.tokensForExport += rows;
    }
    if (!terms.defined()) {
        const detail::SaeLossTerms &loss = result.loss;
        terms = at::stack({loss.total, loss.mse, loss.variance, x.square().sum(1).mean(), loss.l0,
                           loss.l1, loss.sparsity, loss.auxK})
                        .to(at::kDouble);
    }
    state.metricSums.add_(terms);
    state.stepsInWindow += 1;
    state.step += 1;
    state.sourcePosition = impl.source->position();
    impl.tokensThisSession += rows;
    impl.last.step = step;
    impl.last.learningRate = lr;
    impl.last.sparsityCoefficient = settings.sparsityCoefficient;
    impl.last.gradientNormBeforeClip = -1;  // filled lazily by lastStep()
    return Status::ok();
}

Result<SaeTrainMetrics> SaeTrainer::collectMetrics()
{
    Impl &impl = *m_impl;
    detail::SaeTrainerState &state = impl.state;
    if (impl.reducer) {
        // Every rank must hold the same state: a rank that drifted (a bug, a different build or
        // BLAS) would silently train another SAE. The extremes over the ranks of a few checksums
        // must agree bit for bit.
        std::vector<at::Tensor> parts;
        for (const at::Tensor &p : state.parameters()) {
            parts.push_back(p.sum(at::kDouble).reshape({1}));
        }
        parts.push_back(state.tokensSinceFired.sum(at::kDouble).reshape({1}));
        parts.push_back(state.batchTopKTheta.to(at::kDouble).reshape({1}));
        const at::Tensor low = at::cat(parts).to(at::kCPU);
        const at::Tensor high = low.clone();
        impl.reducer->minimum(low);
        impl.reducer->maximum(high);
        if (!at::equal(low, high)) {
            return Status::internal(
                    QStringLiteral("the ranks' weights differ at step %1 (they must stay "
                                   "identical: are all ranks running the same build and "
                                   "settings?)")
                            .arg(state.step));
        }
    }
    SaeTrainMetrics m;
    m.step = state.step;
    m.totalSteps = impl.totalSteps;
    m.tokens = state.step * impl.config.batchSize;
    const at::Tensor sums = state.metricSums.to(at::kCPU);
    const double steps = static_cast<double>(std::max<int64_t>(1, state.stepsInWindow));
    const double *s = sums.data_ptr<double>();
    m.loss = s[kLoss] / steps;
    m.mse = s[kMse] / steps;
    m.normalizedMse = s[kSquaredNorm] > 0 ? s[kMse] / s[kSquaredNorm] : 0;
    m.explainedVariance = s[kVariance] > 0 ? 1.0 - s[kMse] / s[kVariance] : 0;
    m.l0 = s[kL0] / steps;
    m.l1 = s[kL1] / steps;
    m.sparsityLoss = s[kSparsity] / steps;
    m.auxKLoss = s[kAuxK] / steps;
    const double n = static_cast<double>(impl.config.sae.dSae);
    m.deadFraction = (state.tokensSinceFired >= impl.deadWindow).sum().item<int64_t>() / n;
    const at::Tensor density = state.firedInWindow.to(at::kDouble) /
                               static_cast<double>(std::max<int64_t>(1, state.tokensInWindow));
    m.denseFraction = (density > kDenseThreshold).sum().item<int64_t>() / n;
    const at::Tensor logDensity = at::log10(density + 1e-10).clamp(m.histogramLow, m.histogramHigh);
    const at::Tensor histogram =
            at::histc(logDensity.to(at::kFloat), kDensityBins, m.histogramLow, m.histogramHigh)
                    .to(at::kLong)
                    .to(at::kCPU);
    const int64_t *counts = histogram.data_ptr<int64_t>();
    for (int64_t bin = 0; bin < kDensityBins; ++bin) {
        m.densityHistogram.append(static_cast<double>(counts[bin]));
    }
    m.learningRate = impl.last.learningRate;
    m.sparsityCoefficient = impl.last.sparsityCoefficient;
    m.gradientNorm = impl.lastNorm.defined() ? impl.lastNorm.item<double>() : 0;
    const double seconds = impl.clock.nsecsElapsed() / 1e9;
    m.tokensPerSecond = seconds > 0 ? impl.tokensThisSession / seconds : 0;
    const double collective = impl.reducer ? impl.reducer->secondsInCollectives() : 0;
    const double stepsSince =
            static_cast<double>(std::max<int64_t>(1, state.step - impl.stepAtReport));
    m.stepSeconds = (seconds - impl.secondsAtReport) / stepsSince;
    m.collectiveSeconds = (collective - impl.collectiveSecondsAtReport) / stepsSince;
    impl.secondsAtReport = seconds;
    impl.collectiveSecondsAtReport = collective;
    impl.stepAtReport = state.step;
    const double remaining =
            static_cast<double>(impl.totalSteps - state.step) * impl.config.batchSize;
    const double paced =
            impl.totalSteps > impl.paceStep
                    ? double(state.step - impl.paceStep) / double(impl.totalSteps - impl.paceStep)
                    : 1.0;
    const double eta = impl.paceClock.isValid()
                               ? remainingSeconds(paced, impl.paceClock.nsecsElapsed() / 1e9)
                               : -1.0;
    m.etaSeconds = eta >= 0 ? eta : m.tokensPerSecond > 0 ? remaining / m.tokensPerSecond : 0;

    state.metricSums.zero_();
    state.stepsInWindow = 0;
    state.firedInWindow.zero_();
    state.tokensInWindow = 0;
    return m;
}

Status SaeTrainer::writeLogLine(const SaeTrainMetrics &m) const
{
    const Impl &impl = *m_impl;
    QJsonObject line = saeTrainMetricsToJson(m, SaeMetricsFields::Log);
    if (impl.reducer) {
        line[QStringLiteral("world_size")] = impl.reducer->worldSize();
        line[QStringLiteral("collective_seconds")] = m.collectiveSeconds;
    }
    QFile log(impl.config.logPath);
    if (!log.open(QIODevice::Append) ||
        log.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n') < 0) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot append to the log").arg(impl.config.logPath));
    }
    return Status::ok();
}

Status SaeTrainer::step(int64_t maxSteps)
{
    Impl &impl = *m_impl;
    for (int64_t i = 0; i < maxSteps && !isFinished(); ++i) {
        if (m_cancelled.load()) {
            return Status::cancelled();
        }
        try {
            if (Status status = trainOneStep(); !status.isOk()) {
                return status;
            }
            if (!impl.paceClock.isValid()) {
                impl.paceClock.start();
                impl.paceStep = impl.state.step;
            }
            const int64_t every = std::max<int64_t>(1, impl.config.metricsEverySteps);
            if (impl.state.step % every == 0 || isFinished()) {
                Result<SaeTrainMetrics> metrics = collectMetrics();
                if (!metrics) {
                    return metrics.status();
                }
                impl.latest = metrics.value();
                if (impl.writesLog()) {
                    if (Status status = writeLogLine(impl.latest); !status.isOk()) {
                        return status;
                    }
                }
                if (impl.callback) {
                    impl.callback(impl.latest);
                }
            }
        } catch (const detail::CollectiveError &error) {
            // A lost rank: the state is consistent up to the last completed step, but the
            // others cannot continue; resume from the last checkpoint.
            return Status::internal(QStringLiteral("step %1: %2")
                                            .arg(impl.state.step + 1)
                                            .arg(QString::fromStdString(error.what())));
        }
    }
    return Status::ok();
}

bool SaeTrainer::isFinished() const
{
    return m_impl->state.step >= m_impl->totalSteps;
}

int64_t SaeTrainer::stepsDone() const
{
    return m_impl->state.step;
}

int64_t SaeTrainer::totalSteps() const
{
    return m_impl->totalSteps;
}

const SaeTrainingConfig &SaeTrainer::config() const
{
    return m_impl->config;
}

double SaeTrainer::inputScale() const
{
    return m_impl->state.inputScale;
}

void SaeTrainer::setMetricsCallback(std::function<void(const SaeTrainMetrics &)> callback)
{
    m_impl->callback = std::move(callback);
}

SaeTrainMetrics SaeTrainer::latestMetrics() const
{
    return m_impl->latest;
}

SaeStepDiagnostics SaeTrainer::lastStep() const
{
    SaeStepDiagnostics d = m_impl->last;
    if (m_impl->lastNorm.defined()) {
        d.gradientNormBeforeClip = m_impl->lastNorm.item<double>();
        d.gradientNormAfterClip = (m_impl->lastNorm * m_impl->lastCoefficient).item<double>();
    }
    return d;
}

const detail::SaeTrainerState &SaeTrainer::state() const
{
    return m_impl->state;
}

std::shared_ptr<detail::SaeModule> SaeTrainer::exportModule() const
{
    const detail::SaeTrainerState &state = m_impl->state;
    detail::SaeModule module = state.module.foldInputScale(state.inputScale);
    if (module.config().architecture == SaeArchitecture::Relu) {
        module = module.foldDecoderNorms();
    }
    return std::make_shared<detail::SaeModule>(module.to(at::kCPU));
}

Status SaeTrainer::exportSae(const QString &directory) const
{
    const detail::SaeTrainerState &state = m_impl->state;
    SaeSaveExtras extras;
    extras.trainedArchitecture = nameOf(m_impl->config.sae.architecture);
    extras.foldedInputScale = state.inputScale;
    extras.trainingTokens = state.step * m_impl->config.batchSize;
    const at::Tensor density = (state.firedForExport.to(at::kDouble) /
                                static_cast<double>(std::max<int64_t>(1, state.tokensForExport)))
                                       .to(at::kFloat)
                                       .to(at::kCPU)
                                       .contiguous();
    extras.featureDensity.assign(density.data_ptr<float>(),
                                 density.data_ptr<float>() + density.numel());
    return saveSae(*exportModule(), directory, extras);
}

Status SaeTrainer::saveCheckpoint(const QString &directory) const
{
    const Impl &impl = *m_impl;
    const detail::SaeTrainerState &state = impl.state;
    if (!QDir().mkpath(directory)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the directory").arg(directory));
    }
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    const std::vector<at::Tensor> params = state.parameters();
    for (size_t i = 0; i < params.size(); ++i) {
        tensors.emplace_back("param." + state.parameterNames[i], params[i]);
        tensors.emplace_back("adam_m." + state.parameterNames[i], state.adamFirstMoment[i]);
        tensors.emplace_back("adam_v." + state.parameterNames[i], state.adamSecondMoment[i]);
    }
    if (state.module.weights().threshold.defined()) {
        tensors.emplace_back("threshold", state.module.weights().threshold);
    }
    tensors.emplace_back("tokens_since_fired", state.tokensSinceFired);
    tensors.emplace_back("fired_in_window", state.firedInWindow);
    tensors.emplace_back("fired_for_export", state.firedForExport);
    tensors.emplace_back("batchtopk_theta", state.batchTopKTheta.reshape({1}));
    // metric_sums is double (not a safetensors dtype here): its exact bits travel as int64.
    tensors.emplace_back("metric_sums", state.metricSums.to(at::kCPU).view(at::kLong));
    const QString tensorsFile = tensorsFileForStep(state.step);
    if (Status status = writeTensors(QDir(directory).filePath(tensorsFile), tensors);
        !status.isOk()) {
        return status;
    }
    QJsonObject json;
    json[QStringLiteral("tensors_file")] = tensorsFile;
    json[QStringLiteral("config")] = trainingConfigToJson(impl.config);
    json[QStringLiteral("step")] = static_cast<double>(state.step);
    json[QStringLiteral("adam_steps")] = static_cast<double>(state.adamSteps);
    // Doubles as their bit patterns: the scale must come back exactly.
    quint64 scaleBits = 0;
    std::memcpy(&scaleBits, &state.inputScale, sizeof(scaleBits));
    json[QStringLiteral("input_scale_bits")] = QString::number(scaleBits);
    json[QStringLiteral("input_scale")] = state.inputScale;
    json[QStringLiteral("tokens_in_window")] = static_cast<double>(state.tokensInWindow);
    json[QStringLiteral("tokens_for_export")] = static_cast<double>(state.tokensForExport);
    json[QStringLiteral("steps_in_window")] = static_cast<double>(state.stepsInWindow);
    json[QStringLiteral("batchtopk_theta_set")] = state.batchTopKThetaSet;
    json[QStringLiteral("source_position")] = static_cast<double>(state.sourcePosition);
    json[QStringLiteral("training_seconds")] = impl.secondsBefore + impl.clock.elapsed() / 1000.0;
    QSaveFile file(QDir(directory).filePath(kStateFile));
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot write").arg(file.fileName()));
    }
    file.write(QJsonDocument(json).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        return Status::invalidInput(QStringLiteral("%1: cannot write").arg(file.fileName()));
    }
    const QDir dir(directory);
    for (const QString &old :
         dir.entryList({QStringLiteral("trainer_state*.safetensors")}, QDir::Files)) {
        if (old != tensorsFile) {
            QFile::remove(dir.filePath(old));
        }
    }
    return Status::ok();
}

namespace {

Result<QJsonObject> readStateJson(const QString &directory)
{
    const QString statePath = QDir(directory).filePath(kStateFile);
    QFile file(statePath);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(statePath));
    }
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(file.readAll(), &error).object();
    if (error.error != QJsonParseError::NoError || !json.contains(QStringLiteral("config"))) {
        return Status::invalidInput(QStringLiteral("%1: not a Gyrus trainer state").arg(statePath));
    }
    return json;
}

}  // namespace

Result<SaeTrainingConfig> SaeTrainer::checkpointConfig(const QString &directory)
{
    Result<QJsonObject> json = readStateJson(directory);
    if (!json) {
        return json.status();
    }
    return trainingConfigFromJson(json.value()[QStringLiteral("config")].toObject());
}

Result<std::unique_ptr<SaeTrainer>> SaeTrainer::resume(
        const QString &directory, std::shared_ptr<detail::ActivationSource> source,
        std::shared_ptr<detail::BatchReducer> reducer)
{
    if (!source) {
        return Status::invalidInput(QStringLiteral("no activation source"));
    }
    const QString statePath = QDir(directory).filePath(kStateFile);
    Result<QJsonObject> stateJson = readStateJson(directory);
    if (!stateJson) {
        return stateJson.status();
    }
    const QJsonObject &json = stateJson.value();
    const SaeTrainingConfig config =
            trainingConfigFromJson(json[QStringLiteral("config")].toObject());
    if (Status status = checkConfig(config, source->columns()); !status.isOk()) {
        return status.withContext(statePath);
    }
    // A name inside the checkpoint directory, whatever the JSON says.
    const QString tensorsPath = QDir(directory).filePath(
            QFileInfo(json[QStringLiteral("tensors_file")].toString(kTensorsFile)).fileName());
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(tensorsPath);
    if (!archive) {
        return archive.status();
    }
    std::unique_ptr<SaeTrainer> trainer(new SaeTrainer());
    Impl &impl = *trainer->m_impl;
    impl.config = config;
    impl.source = std::move(source);
    impl.reducer = std::move(reducer);
    impl.device = at::Device(config.device.toStdString());
    impl.totalSteps = stepsOf(config);
    impl.baseLearningRate = defaultLearningRate(config);
    impl.deadWindow = deadWindowOf(config);
    detail::SaeTrainerState &state = impl.state;
    QStringList missing;
    auto load = [&](const QString &name) {
        if (!archive.value().contains(name)) {
            missing.append(name);
            return at::Tensor();
        }
        return tensorFromArchive(archive.value(), name).to(impl.device, false, true);
    };
    state.parameterNames = {"W_enc", "b_enc", "W_dec", "b_dec"};
    if (config.sae.architecture == SaeArchitecture::JumpRelu) {
        state.parameterNames.emplace_back("log_threshold");
    }
    std::vector<at::Tensor> params;
    for (const std::string &name : state.parameterNames) {
        const QString qname = QString::fromStdString(name);
        params.push_back(load(QStringLiteral("param.") + qname));
        state.adamFirstMoment.push_back(load(QStringLiteral("adam_m.") + qname));
        state.adamSecondMoment.push_back(load(QStringLiteral("adam_v.") + qname));
    }
    detail::SaeWeights w{params[0], params[1], params[2], params[3], {}};
    if (config.sae.architecture == SaeArchitecture::JumpRelu ||
        config.sae.architecture == SaeArchitecture::BatchTopK) {
        w.threshold = load(QStringLiteral("threshold"));
    }
    if (config.sae.architecture == SaeArchitecture::JumpRelu) {
        state.logThreshold = params[4];
    }
    state.tokensSinceFired = load(QStringLiteral("tokens_since_fired"));
    state.firedInWindow = load(QStringLiteral("fired_in_window"));
    state.firedForExport = load(QStringLiteral("fired_for_export"));
    const at::Tensor theta = load(QStringLiteral("batchtopk_theta"));
    const at::Tensor sums = load(QStringLiteral("metric_sums"));
    if (!missing.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: missing tensors: %2")
                                            .arg(tensorsPath, missing.join(QStringLiteral(", "))));
    }
    // Copied: a truncation before this point read zeros (mapped_file_guard.h).
    if (Status unchanged = checkMappingsUnchanged(*archive); !unchanged.isOk()) {
        return unchanged;
    }
    state.batchTopKTheta = theta.reshape({});
    state.metricSums = sums.to(at::kCPU).view(at::kDouble).to(impl.device);
    state.module = detail::SaeModule(config.sae, std::move(w));
    if (const QString problem = state.module.validate(); !problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(tensorsPath, problem));
    }
    state.step = static_cast<int64_t>(json[QStringLiteral("step")].toDouble());
    state.adamSteps = static_cast<int64_t>(json[QStringLiteral("adam_steps")].toDouble());
    const quint64 bits = json[QStringLiteral("input_scale_bits")].toString().toULongLong();
    std::memcpy(&state.inputScale, &bits, sizeof(bits));
    state.tokensInWindow =
            static_cast<int64_t>(json[QStringLiteral("tokens_in_window")].toDouble());
    state.tokensForExport =
            static_cast<int64_t>(json[QStringLiteral("tokens_for_export")].toDouble());
    state.stepsInWindow = static_cast<int64_t>(json[QStringLiteral("steps_in_window")].toDouble());
    state.batchTopKThetaSet = json[QStringLiteral("batchtopk_theta_set")].toBool();
    state.sourcePosition = static_cast<int64_t>(json[QStringLiteral("source_position")].toDouble());
    impl.secondsBefore = json[QStringLiteral("training_seconds")].toDouble();
    if (Status continued = impl.source->seek(state.sourcePosition); !continued.isOk()) {
        return continued;
    }
    impl.clock.start();
    impl.stepAtReport = state.step;
    return trainer;
}

}  // namespace gyrus::gpu
