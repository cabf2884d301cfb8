#include "gpu/sae/sae_io.h"

#include "core/version.h"
#include "gpu/detail/sae_module.h"
#include "gpu/detail/safetensors_torch.h"
#include "gpu/model/safetensors.h"
#include "gpu/sae/npz_reader.h"

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

// Gemma Scope releases (google/gemma-scope-*): params.npz with W_enc [d, n], W_dec [n, d],
// b_enc [n], b_dec [d], threshold [n]; JumpReLU without b_dec subtraction (SAELens' gemma_2
// loader reads them the same way).
Result<std::shared_ptr<detail::SaeModule>> loadGemmaScope(const QString &path,
                                                          const QString &device)
{
    Result<QMap<QString, NpyArray>> arrays = readNpz(path);
    if (!arrays) {
        return arrays.status();
    }
    const QMap<QString, NpyArray> &a = arrays.value();
    const QStringList names = {QStringLiteral("W_enc"), QStringLiteral("b_enc"),
                               QStringLiteral("W_dec"), QStringLiteral("b_dec"),
                               QStringLiteral("threshold")};
    QStringList missing;
    for (const QString &name : names) {
        if (!a.contains(name)) {
            missing.append(name);
        }
    }
    if (!missing.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: missing arrays for a Gemma Scope SAE: %2")
                                            .arg(path, missing.join(QStringLiteral(", "))));
    }
    if (a[names[0]].shape.size() != 2) {
        return Status::invalidInput(QStringLiteral("%1: W_enc must be 2-D, got shape %2")
                                            .arg(path, shapeToString(a[names[0]].shape)));
    }
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = a[names[0]].shape[0];
    config.dSae = a[names[0]].shape[1];
    config.applyBDecToInput = false;
    const at::Device target(device.toStdString());
    auto tensor = [&](const QString &name) {
        const NpyArray &array = a[name];
        std::vector<int64_t> shape(array.shape.begin(), array.shape.end());
        return at::from_blob(const_cast<float *>(array.values.data()), shape,
                             at::TensorOptions().dtype(at::kFloat))
                .to(target, at::kFloat, false, true);
    };
    detail::SaeWeights weights{tensor(names[0]), tensor(names[1]), tensor(names[2]),
                               tensor(names[3]), tensor(names[4])};
    auto module = std::make_shared<detail::SaeModule>(config, std::move(weights));
    if (const QString problem = module->validate(); !problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(path, problem));
    }
    return module;
}

Result<QJsonObject> readJsonObject(const QString &path)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot read").arg(path));
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError) {
        return Status::invalidInput(QStringLiteral("%1: invalid JSON at offset %2: %3")
                                            .arg(path)
                                            .arg(error.offset)
                                            .arg(error.errorString()));
    }
    if (!document.isObject()) {
        return Status::invalidInput(QStringLiteral("%1: expected a JSON object").arg(path));
    }
    return document.object();
}

Result<int64_t> positiveInteger(const QJsonObject &object, const QString &key, const QString &path)
{
    const QJsonValue value = object.value(key);
    if (value.isUndefined() || value.isNull()) {
        return Status::invalidInput(QStringLiteral("%1: missing key '%2'").arg(path, key));
    }
    const double number = value.toDouble(-1);
    if (!value.isDouble() || number < 1 || number != std::floor(number)) {
        return Status::invalidInput(
                QStringLiteral("%1: '%2' must be a positive integer").arg(path, key));
    }
    return static_cast<int64_t>(number);
}

QString stringOr(const QJsonObject &object, const QString &key, const QString &fallback)
{
    const QJsonValue value = object.value(key);
    return value.isString() ? value.toString() : fallback;
}

}  // namespace

Result<SaeFileInfo> readSaeInfo(const QString &directory)
{
    const QString path = QDir(directory).filePath(kConfigFile);
    if (!QFileInfo(directory).isDir()) {
        return Status::notFound(QStringLiteral("%1: no such SAE directory").arg(directory));
    }
    Result<QJsonObject> json = readJsonObject(path);
    if (!json) {
        return json.status();
    }
    const QJsonObject &cfg = json.value();
    const QJsonObject metadata = cfg.value(QStringLiteral("metadata")).toObject();
    SaeFileInfo info;
    info.directory = directory;
    Result<int64_t> dIn = positiveInteger(cfg, QStringLiteral("d_in"), path);
    if (!dIn) {
        return dIn.status();
    }
    Result<int64_t> dSae = positiveInteger(cfg, QStringLiteral("d_sae"), path);
    if (!dSae) {
        return dSae.status();
    }
    info.config.dIn = dIn.value();
    info.config.dSae = dSae.value();
    // Before SAELens 6 there was no "architecture" key: those SAEs are all "standard".
    info.savedArchitecture =
            stringOr(cfg, QStringLiteral("architecture"), QStringLiteral("standard"));
    if (info.savedArchitecture == QLatin1String("standard")) {
        info.config.architecture = SaeArchitecture::Relu;
    } else if (info.savedArchitecture == QLatin1String("topk")) {
        info.config.architecture = SaeArchitecture::TopK;
        Result<int64_t> k = positiveInteger(cfg, QStringLiteral("k"), path);
        if (!k) {
            return k.status();
        }
        info.config.k = k.value();
        if (cfg.value(QStringLiteral("rescale_acts_by_decoder_norm")).toBool(false)) {
            return Status::invalidInput(
                    QStringLiteral("%1: topk with rescale_acts_by_decoder_norm=true is a training "
                                   "checkpoint; "
                                   "export it for inference (SAELens save_inference_model) first")
                            .arg(path));
        }
    } else if (info.savedArchitecture == QLatin1String("jumprelu")) {
        info.config.architecture = SaeArchitecture::JumpRelu;
    } else {
        return Status::invalidInput(
                QStringLiteral("%1: architecture '%2' is not supported (standard, topk, jumprelu)")
                        .arg(path, info.savedArchitecture));
    }
    info.config.applyBDecToInput = cfg.value(QStringLiteral("apply_b_dec_to_input")).toBool(true);
    // v6 keeps hook_name in metadata; older files (and SAEDashboard) at the top level, or as
    // hook_point.
    info.config.hookName = stringOr(metadata, QStringLiteral("hook_name"),
                                    stringOr(cfg, QStringLiteral("hook_name"),
                                             stringOr(cfg, QStringLiteral("hook_point"), {})));
    info.config.modelName = stringOr(metadata, QStringLiteral("model_name"),
                                     stringOr(cfg, QStringLiteral("model_name"), {}));
    const QJsonObject gyrus = cfg.value(QStringLiteral("gyrus")).toObject();
    info.trainedArchitecture = stringOr(gyrus, QStringLiteral("trained_architecture"), {});
    info.foldedInputScale = gyrus.value(QStringLiteral("folded_input_scale")).toDouble(1.0);
    if (info.trainedArchitecture == QLatin1String("batchtopk") &&
        info.config.architecture == SaeArchitecture::JumpRelu) {
        info.config.k = gyrus.value(QStringLiteral("k")).toInt(32);
    }
    return info;
}

Result<std::shared_ptr<detail::SaeModule>> loadSae(const QString &directory, const QString &device)
{
    if (directory.endsWith(QLatin1String(".npz"))) {
        return loadGemmaScope(directory, device);
    }
    const QString npz = QDir(directory).filePath(kGemmaScopeFile);
    if (!QFileInfo::exists(QDir(directory).filePath(kConfigFile)) && QFileInfo::exists(npz)) {
        return loadGemmaScope(npz, device);
    }
    Result<SaeFileInfo> info = readSaeInfo(directory);
    if (!info) {
        return info.status();
    }
    const QString cfgPath = QDir(directory).filePath(kConfigFile);
    Result<QJsonObject> cfg = readJsonObject(cfgPath);
    if (!cfg) {
        return cfg.status();
    }
    // The input scale SAELens would apply at inference, to be folded below.
    double scale = 1.0;
    const QJsonValue normalisation = cfg.value().value(QStringLiteral("normalize_activations"));
    const QString mode =
            normalisation.isBool()
                    ? (normalisation.toBool() ? QStringLiteral("expected_average_only_in")
                                              : QStringLiteral("none"))
                    : normalisation.toString(QStringLiteral("none"));
    if (mode == QLatin1String("expected_average_only_in")) {
        const QString scalerPath = QDir(directory).filePath(kScalerFile);
        Result<QJsonObject> scaler = readJsonObject(scalerPath);
        if (!scaler) {
            return Status::invalidInput(
                    QStringLiteral("%1: normalize_activations is expected_average_only_in but "
                                   "%2 is missing or invalid (%3)")
                            .arg(cfgPath, kScalerFile, scaler.status().message()));
        }
        scale = scaler.value().value(QStringLiteral("scaling_factor")).toDouble(0);
        if (!(scale > 0) || !std::isfinite(scale)) {
            return Status::invalidInput(
                    QStringLiteral("%1: 'scaling_factor' must be a positive number")
                            .arg(scalerPath));
        }
    } else if (mode != QLatin1String("none") && !mode.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: normalize_activations '%2' is not supported (none, "
                               "expected_average_only_in)")
                        .arg(cfgPath, mode));
    }

    const QString weightsPath = QDir(directory).filePath(kWeightsFile);
    if (!QFileInfo::exists(weightsPath)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(weightsPath));
    }
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(weightsPath);
    if (!archive) {
        return archive.status();
    }
    const SaeConfig &config = info.value().config;
    const int64_t d = config.dIn;
    const int64_t n = config.dSae;
    std::vector<ExpectedTensor> expected = {{QStringLiteral("W_enc"), {d, n}},
                                            {QStringLiteral("b_enc"), {n}},
                                            {QStringLiteral("W_dec"), {n, d}},
                                            {QStringLiteral("b_dec"), {d}}};
    const bool jump = config.architecture == SaeArchitecture::JumpRelu;
    const bool logThreshold = jump && !archive.value().contains(QStringLiteral("threshold")) &&
                              archive.value().contains(QStringLiteral("log_threshold"));
    if (jump) {
        expected.push_back(
                {logThreshold ? QStringLiteral("log_threshold") : QStringLiteral("threshold"),
                 {n}});
    }
    if (Status status =
                checkTensors(archive.value(), expected,
                             QStringLiteral("SAE (cfg.json d_in=%1, d_sae=%2)").arg(d).arg(n));
        !status.isOk()) {
        return status.withContext(weightsPath);
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
    auto module = std::make_shared<detail::SaeModule>(config, std::move(weights));
    if (const QString problem = module->validate(); !problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(weightsPath, problem));
    }
    if (scale != 1.0) {
        *module = module->foldInputScale(scale);
    }
    return module;
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
    metadata[QStringLiteral("prepend_bos")] = true;
    QJsonObject cfg;
    cfg[QStringLiteral("architecture")] = architecture;
    cfg[QStringLiteral("d_in")] = static_cast<double>(config.dIn);
    cfg[QStringLiteral("d_sae")] = static_cast<double>(config.dSae);
    cfg[QStringLiteral("dtype")] = QStringLiteral("float32");
    cfg[QStringLiteral("device")] = QStringLiteral("cpu");
    cfg[QStringLiteral("apply_b_dec_to_input")] = config.applyBDecToInput;
    cfg[QStringLiteral("normalize_activations")] = QStringLiteral("none");
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
