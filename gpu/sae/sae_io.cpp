#include "gpu/sae/sae_io.h"

#include "core/base/file_write.h"
#include "core/base/json_file.h"
#include "core/base/memory_budget.h"
#include "core/base/version.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/published_sae_loaders.h"
#include "gpu/sae/sae_folding.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/saelens_config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QSaveFile>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

namespace gyrus::gpu {

namespace {

const QString kConfigFile = QStringLiteral("cfg.json");
const QString kWeightsFile = QStringLiteral("sae_weights.safetensors");
const QString kSparsityFile = QStringLiteral("sparsity.safetensors");
const QString kScalerFile = QStringLiteral("activation_scaler.json");
const QString kGemmaScopeFile = QStringLiteral("params.npz");
const QString kGemmaScope2File = QStringLiteral("params.safetensors");
const QString kLlamaScopeFile = QStringLiteral("hyperparams.json");
const qint64 kEncodeBudget = detail::kEncodeBudgetBytes;

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

// 256 MiB of float32 matrices (32M parameters: a 16k x 2304 SAE is above it);
// GYRUS_SAE_BF16_ABOVE (bytes) overrides it, for tests at a moderate size.
qint64 keepBf16AboveBytes()
{
    const QByteArray override = qgetenv("GYRUS_SAE_BF16_ABOVE");
    bool ok = false;
    const qint64 bytes = override.toLongLong(&ok);
    return ok && bytes >= 0 ? bytes : qint64(256) << 20;
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
    // The two matrices stay bf16 when the file stores them so (Gemma Scope and Llama Scope
    // releases of 131k-262k features are bf16 on the hub): a float32 copy of a 262k x 2304
    // decoder alone would be 2.4 GB. Anything else becomes float32. Refuse before copying what
    // would not fit.
    // A narrow SAE is still copied to float32, where the arithmetic matches a float32
    // reference exactly and the copy is cheap: only above keepBf16AboveBytes() of float32
    // matrices does bf16 stay.
    const bool keepBf16 = archive->info(QStringLiteral("W_enc"))->dtype == DType::BF16 &&
                          archive->info(QStringLiteral("W_dec"))->dtype == DType::BF16 &&
                          2 * n * d * 4 > keepBf16AboveBytes();
    const at::ScalarType matrixType = keepBf16 ? at::kBFloat16 : at::kFloat;
    const int64_t matrixElement = keepBf16 ? 2 : 4;
    MemoryRequest request;
    request.what = QStringLiteral("loading the SAE %1 (%2; %3 features x d_in %4)")
                           .arg(weightsPath, formatBytes(QFileInfo(weightsPath).size()))
                           .arg(n)
                           .arg(d);
    request.parts.push_back({keepBf16 ? QStringLiteral("W_enc and W_dec in bf16")
                                      : QStringLiteral("W_enc and W_dec in fp32"),
                             2 * n * d * matrixElement});
    request.parts.push_back({QStringLiteral("biases and thresholds"), (3 * n + d) * 4});
    // A wide bf16 encoder on the CPU gets an int8 copy for the exact screened sparse encode.
    const bool screened = detail::SaeModule::screenApplies(
            config, at::Device(device.toStdString()).is_cpu(), keepBf16);
    if (screened) {
        request.parts.push_back({QStringLiteral("the encoder's int8 screen"),
                                 detail::SaeModule::screenBytes(n, d)});
    }
    // A batched encode holds one block of dense codes (at most 1,024 tokens or the block budget).
    request.parts.push_back({QStringLiteral("one block of a batched encode"),
                             std::min<qint64>(kEncodeBudget, 1024 * (16 * n + 8 * d))});
    request.waysOut << QStringLiteral("a narrower SAE of the same release (%1 features need %2)")
                               .arg(n / 4)
                               .arg(formatBytes(2 * (n / 4) * d * matrixElement));
    request.waysOut << QStringLiteral("close the other models and SAEs using memory");
    if (Status budget = checkMemoryBudget(request, availableMemoryBytesOn(device));
        !budget.isOk()) {
        return budget;
    }
    const at::Device target(device.toStdString());
    // Copied a slice at a time, letting go of the file's pages as it goes: the load's peak is
    // the SAE, not the SAE and the file.
    auto tensor = [&](const QString &name, at::ScalarType type = at::kFloat) {
        return copyFromArchive(archive.value(), name, type, target);
    };
    detail::SaeWeights weights;
    // A bf16 encoder is held as the transpose of a [d_sae, d_in] matrix (a Linear layer's
    // weight layout): oneDNN's bf16 GEMM computes x·W_enc ~25 % faster from it than from
    // W_enc [d_in, d_sae] contiguous (17 against 13.3 GFLOP/s on one core at 131k x 2304;
    // bench/scale/README.md).
    weights.wEnc = keepBf16 ? copyFromArchive(archive.value(), QStringLiteral("W_enc"), matrixType,
                                              target, /*transposed=*/true)
                                      .t()
                            : tensor(QStringLiteral("W_enc"), matrixType);
    weights.bEnc = tensor(QStringLiteral("b_enc"));
    weights.wDec = tensor(QStringLiteral("W_dec"), matrixType);
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
            weights.wDec.mul_(factor.unsqueeze(1));  // in place: keeps a bf16 decoder bf16
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
    // In place: the loader holds the only copy (a folded clone would double the load's peak).
    if (info->rescaleByDecoderNorm) {
        detail::foldDecoderNormsInPlace(module->mutableWeights());
    }
    if (scale != 1.0) {
        detail::foldInputScaleInPlace(module->mutableWeights(), scale);
    }
    if (screened) {
        module->buildEncodeScreen();  // from the final weights: the folds above change W_enc
    }
    return module;
}

}  // namespace

Result<std::shared_ptr<detail::SaeModule>> loadSae(const QString &directory, const QString &device)
{
    if (Status status = detail::finishInterruptedSave(directory); !status.isOk()) {
        return status;
    }
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
    if (Status status = detail::finishInterruptedSave(directory); !status.isOk()) {
        return status;
    }
    const QDir dir(directory);
    detail::SaeFileStaging staged(directory);
    if (Status status = writeTensors(staged.add(kWeightsFile), tensors); !status.isOk()) {
        return status;
    }
    if (!extras.featureDensity.empty()) {
        at::Tensor density =
                at::tensor(extras.featureDensity, at::TensorOptions().dtype(at::kFloat));
        const at::Tensor logDensity = at::log10(density + 1e-10);
        if (Status status = writeTensors(staged.add(kSparsityFile), {{"sparsity", logDensity}});
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
    cfg[QStringLiteral("dtype")] = module.weightDtype() == at::kBFloat16
                                           ? QStringLiteral("bfloat16")
                                           : QStringLiteral("float32");
    cfg[QStringLiteral("device")] = QStringLiteral("cpu");
    cfg[QStringLiteral("apply_b_dec_to_input")] = config.applyBDecToInput;
    cfg[QStringLiteral("normalize_activations")] = nameOf(config.inputNormalisation);
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
                                                            ? nameOf(config.architecture)
                                                            : extras.trainedArchitecture;
    gyrus[QStringLiteral("folded_input_scale")] = extras.foldedInputScale;
    gyrus[QStringLiteral("k")] = static_cast<double>(config.k);
    gyrus[QStringLiteral("training_tokens")] = static_cast<double>(extras.trainingTokens);
    cfg[QStringLiteral("gyrus")] = gyrus;

    const QString cfgPath = dir.filePath(kConfigFile);
    QSaveFile file(staged.add(kConfigFile));
    QString failure;
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        failure = file.errorString();
    } else {
        failure = writeFully(file, QJsonDocument(cfg).toJson(QJsonDocument::Indented));
        if (failure.isEmpty() && !file.commit()) {
            failure = writeFailure(file, errno);
        }
    }
    if (!failure.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: cannot write: %2").arg(cfgPath, failure));
    }
    // A sparsity file left from earlier weights would describe other features.
    if (extras.featureDensity.empty() && dir.exists(kSparsityFile)) {
        staged.remove(kSparsityFile);
    }
    return staged.commit();
}

}  // namespace gyrus::gpu
