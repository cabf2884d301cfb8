#include "gpu/sae/sae_io.h"

#include "core/json_file.h"
#include "core/memory_budget.h"
#include "core/version.h"
#include "gpu/detail/published_sae_loaders.h"
#include "gpu/detail/sae_module.h"
#include "gpu/detail/saelens_config.h"
#include "gpu/detail/safetensors_torch.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QSaveFile>

#include <cmath>

namespace gyrus::gpu {

namespace {

const QString kConfigFile = QStringLiteral("cfg.json");
const QString kWeightsFile = QStringLiteral("sae_weights.safetensors");
const QString kSparsityFile = QStringLiteral("sparsity.safetensors");
const QString kScalerFile = QStringLiteral("activation_scaler.json");
const QString kGemmaScopeFile = QStringLiteral("params.npz");
const QString kGemmaScope2File = QStringLiteral("params.safetensors");
const QString kLlamaScopeFile = QStringLiteral("hyperparams.json");

bool exists(const QString &directory, const QString &file)
{
    return QFileInfo::exists(QDir(directory).filePath(file));
}

// The constant input scale SAELens would apply at inference for expected_average_only_in: the
// one a training checkpoint keeps in activation_scaler.json (final exports have it folded).
Result<double> savedInputScale(const QString &directory, const QString &cfgPath)
{
    const QString scalerPath = QDir(directory).filePath(kScalerFile);
    Result<QJsonObject> scaler = readJsonObjectFile(scalerPath);
    if (!scaler) {
        return Status::invalidInput(
                QStringLiteral("%1: normalize_activations is expected_average_only_in but %2 is "
                               "missing or invalid (%3)")
                        .arg(cfgPath, kScalerFile, scaler.status().message()));
    }
    const double scale = scaler.value().value(QStringLiteral("scaling_factor")).toDouble(0);
    if (!(scale > 0) || !std::isfinite(scale)) {
        return Status::invalidInput(
                QStringLiteral("%1: 'scaling_factor' must be a positive number").arg(scalerPath));
    }
    return scale;
}

Result<std::shared_ptr<detail::SaeModule>> loadSaeLens(const QString &directory,
                                                       const QString &device)
{
    Result<SaeFileInfo> info = readSaeInfo(directory);
    if (!info) {
        return info.status();
    }
    const QString cfgPath = QDir(directory).filePath(kConfigFile);
    double scale = 1.0;
    if (info->normalisation == QLatin1String("expected_average_only_in")) {
        Result<double> saved = savedInputScale(directory, cfgPath);
        if (!saved) {
            return saved.status();
        }
        scale = saved.value();
    }
    const QString weightsPath = QDir(directory).filePath(kWeightsFile);
    if (!QFileInfo::exists(weightsPath)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(weightsPath));
    }
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(weightsPath);
    if (!archive) {
        return archive.status();
    }
    const SaeConfig &config = info->config;
    const int64_t d = config.dIn;
    const int64_t n = config.dSae;
    std::vector<ExpectedTensor> expected = {{QStringLiteral("W_enc"), {d, n}},
                                            {QStringLiteral("b_enc"), {n}},
                                            {QStringLiteral("W_dec"), {n, d}},
                                            {QStringLiteral("b_dec"), {d}}};
    const bool jump = config.architecture == SaeArchitecture::JumpRelu;
    const bool logThreshold = jump && !archive->contains(QStringLiteral("threshold")) &&
                              archive->contains(QStringLiteral("log_threshold"));
    if (jump) {
        expected.push_back(
                {logThreshold ? QStringLiteral("log_threshold") : QStringLiteral("threshold"),
                 {n}});
    }
    const bool scaled = archive->contains(QStringLiteral("scaling_factor"));
    if (scaled) {
        expected.push_back({QStringLiteral("scaling_factor"), {n}});
    }
    if (Status status =
                checkTensors(archive.value(), expected,
                             QStringLiteral("SAE (cfg.json architecture=%1, d_in=%2, d_sae=%3)")
                                     .arg(info->savedArchitecture)
                                     .arg(d)
                                     .arg(n));
        !status.isOk()) {
        return status.withContext(weightsPath);
    }
    // The weights become fp32 copies: refuse before copying what would not fit.
    MemoryRequest request;
    request.what = QStringLiteral("loading the SAE %1 (%2; %3 features x d_in %4)")
                           .arg(weightsPath, formatBytes(QFileInfo(weightsPath).size()))
                           .arg(n)
                           .arg(d);
    request.parts.push_back({QStringLiteral("W_enc and W_dec in fp32"), 2 * n * d * 4});
    request.parts.push_back({QStringLiteral("biases and thresholds"), (3 * n + d) * 4});
    request.waysOut << QStringLiteral("a narrower SAE of the same release (%1 features need %2)")
                               .arg(n / 4)
                               .arg(formatBytes(2 * (n / 4) * d * 4));
    request.waysOut << QStringLiteral("close the other models and SAEs using memory");
    if (Status budget = checkMemoryBudget(request, availableMemoryBytesOn(device));
        !budget.isOk()) {
        return budget;
    }
    const at::Device target(device.toStdString());
    auto tensor = [&](const QString &name) {
        return tensorFromArchive(archive.value(), name).to(target, at::kFloat, false, true);
    };
    detail::SaeWeights weights;
    weights.wEnc = tensor(QStringLiteral("W_enc"));
    weights.bEnc = tensor(QStringLiteral("b_enc"));
    weights.wDec = tensor(QStringLiteral("W_dec"));
    weights.bDec = tensor(QStringLiteral("b_dec"));
    if (jump) {
        weights.threshold = logThreshold ? tensor(QStringLiteral("log_threshold")).exp()
                                         : tensor(QStringLiteral("threshold"));
    }
    if (scaled) {
        // Older SAELens multiplied the features by scaling_factor before decoding when
        // finetuning_scaling_factor was set (and wrote all ones otherwise): the same as scaling
        // the decoder rows.
        const at::Tensor factor = tensor(QStringLiteral("scaling_factor"));
        const bool ones = at::equal(factor, at::ones_like(factor));
        if (!ones && !info->finetuningScalingFactor) {
            return Status::invalidInput(
                    QStringLiteral("%1: tensor 'scaling_factor' is not all ones but cfg.json "
                                   "finetuning_scaling_factor is false")
                            .arg(weightsPath));
        }
        if (!ones) {
            weights.wDec = weights.wDec * factor.unsqueeze(1);
        }
    }
    // Copied: a truncation before this point read zeros (mapped_file_guard.h).
    if (Status unchanged = checkMappingsUnchanged(*archive); !unchanged.isOk()) {
        return unchanged;
    }
    auto module = std::make_shared<detail::SaeModule>(config, std::move(weights));
    if (const QString problem = module->validate(); !problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(weightsPath, problem));
    }
    if (info->rescaleByDecoderNorm) {
        *module = module->foldDecoderNorms();
    }
    if (scale != 1.0) {
        *module = module->foldInputScale(scale);
    }
    return module;
}

}  // namespace

Result<SaeFileInfo> readSaeInfo(const QString &directory)
{
    if (!QFileInfo(directory).isDir()) {
        return Status::notFound(QStringLiteral("%1: no such SAE directory").arg(directory));
    }
    if (!exists(directory, kConfigFile) && exists(directory, kLlamaScopeFile)) {
        return detail::readLlamaScopeInfo(directory);
    }
    const QString path = QDir(directory).filePath(kConfigFile);
    Result<QJsonObject> json = readJsonObjectFile(path);
    if (!json) {
        return json.status();
    }
    Result<SaeFileInfo> info = detail::parseSaeLensConfig(json.value(), path);
    if (info) {
        info.value().directory = directory;
    }
    return info;
}

Result<std::shared_ptr<detail::SaeModule>> loadSae(const QString &directory, const QString &device)
{
    if (directory.endsWith(QLatin1String(".npz"))) {
        return detail::loadGemmaScope(directory, device);
    }
    if (!exists(directory, kConfigFile)) {
        for (const QString &file : {kGemmaScopeFile, kGemmaScope2File}) {
            if (exists(directory, file)) {
                return detail::loadGemmaScope(QDir(directory).filePath(file), device);
            }
        }
        if (exists(directory, kLlamaScopeFile)) {
            return detail::loadLlamaScope(directory, device);
        }
    }
    return loadSaeLens(directory, device);
}

Status saveSae(const detail::SaeModule &module, const QString &directory,
               const SaeSaveExtras &extras)
{
    if (const QString problem = module.validate(); !problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("cannot save the SAE: %1").arg(problem));
    }
    if (!QDir().mkpath(directory)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the directory").arg(directory));
    }
    const SaeConfig &config = module.config();
    const detail::SaeWeights &w = module.weights();
    std::vector<std::pair<std::string, at::Tensor>> tensors = {
            {"W_enc", w.wEnc}, {"b_enc", w.bEnc}, {"W_dec", w.wDec}, {"b_dec", w.bDec}};
    QString architecture;
    switch (config.architecture) {
        case SaeArchitecture::Relu:
            architecture = QStringLiteral("standard");
            break;
        case SaeArchitecture::TopK:
            architecture = QStringLiteral("topk");
            break;
        case SaeArchitecture::BatchTopK:
        case SaeArchitecture::JumpRelu:
            architecture = QStringLiteral("jumprelu");
            tensors.emplace_back("threshold", w.threshold);
            break;
    }
    const QString weightsPath = QDir(directory).filePath(kWeightsFile);
    if (Status status = writeTensors(weightsPath, tensors); !status.isOk()) {
        return status;
    }
    if (!extras.featureDensity.empty()) {
        at::Tensor density =
                at::tensor(extras.featureDensity, at::TensorOptions().dtype(at::kFloat));
        const at::Tensor logDensity = at::log10(density + 1e-10);
        if (Status status = writeTensors(QDir(directory).filePath(kSparsityFile),
                                         {{"sparsity", logDensity}});
            !status.isOk()) {
            return status;
        }
    }

    QJsonObject metadata;
    // SAELens >= 6 reads configs that carry a 6.x version as they are; without one it would
    // rewrite them with its pre-6 upgrade rules.
    metadata[QStringLiteral("sae_lens_version")] = QStringLiteral("6.0.0");
    metadata[QStringLiteral("sae_lens_training_version")] = QJsonValue::Null;
    metadata[QStringLiteral("model_name")] = config.modelName;
    metadata[QStringLiteral("hook_name")] = config.hookName;
    metadata[QStringLiteral("hook_head_index")] = QJsonValue::Null;
    metadata[QStringLiteral("prepend_bos")] = config.prependBos;
    if (config.centreInput) {
        metadata[QStringLiteral("model_from_pretrained_kwargs")] =
                QJsonObject{{QStringLiteral("center_writing_weights"), true}};
    }
    QJsonObject cfg;
    cfg[QStringLiteral("architecture")] = architecture;
    cfg[QStringLiteral("d_in")] = static_cast<double>(config.dIn);
    cfg[QStringLiteral("d_sae")] = static_cast<double>(config.dSae);
    cfg[QStringLiteral("dtype")] = QStringLiteral("float32");
    cfg[QStringLiteral("device")] = QStringLiteral("cpu");
    cfg[QStringLiteral("apply_b_dec_to_input")] = config.applyBDecToInput;
    cfg[QStringLiteral("normalize_activations")] =
            inputNormalisationName(config.inputNormalisation);
    cfg[QStringLiteral("reshape_activations")] = QStringLiteral("none");
    if (config.architecture == SaeArchitecture::TopK) {
        cfg[QStringLiteral("k")] = static_cast<double>(config.k);
        cfg[QStringLiteral("rescale_acts_by_decoder_norm")] = false;
    }
    // Pre-6 readers (SAEDashboard, older SAELens) look for hook_name at the top level.
    cfg[QStringLiteral("hook_name")] = config.hookName;
    cfg[QStringLiteral("metadata")] = metadata;
    QJsonObject gyrus;
    gyrus[QStringLiteral("version")] = versionString();
    gyrus[QStringLiteral("trained_architecture")] = extras.trainedArchitecture.isEmpty()
                                                            ? architectureName(config.architecture)
                                                            : extras.trainedArchitecture;
    gyrus[QStringLiteral("folded_input_scale")] = extras.foldedInputScale;
    gyrus[QStringLiteral("k")] = static_cast<double>(config.k);
    gyrus[QStringLiteral("training_tokens")] = static_cast<double>(extras.trainingTokens);
    cfg[QStringLiteral("gyrus")] = gyrus;

    QSaveFile file(QDir(directory).filePath(kConfigFile));
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot write").arg(file.fileName()));
    }
    file.write(QJsonDocument(cfg).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        return Status::invalidInput(QStringLiteral("%1: cannot write").arg(file.fileName()));
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
