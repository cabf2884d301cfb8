#include "gpu/sae/published_sae_loaders.h"

#include "core/base/json_file.h"
#include "gpu/model/mapped_file_guard.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/npz_reader.h"
#include "gpu/sae/sae_folding.h"
#include "gpu/sae/sae_module.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QRegularExpression>

#include <cmath>

namespace gyrus::gpu::detail {

namespace {

const QString kLlamaScopeConfig = QStringLiteral("hyperparams.json");

// The tensor `names[0]` or, failing that, `names[1]` (Gemma Scope's capital and lower-case
// spellings); empty when neither is there.
template <typename Map>
QString firstPresent(const Map &map, const QString &upper, const QString &lower)
{
    return map.contains(upper) ? upper : map.contains(lower) ? lower : QString();
}

std::shared_ptr<SaeModule> finish(SaeConfig config, SaeWeights weights, QString *problem)
{
    auto module = std::make_shared<SaeModule>(std::move(config), std::move(weights));
    *problem = module->validate();
    return module;
}

Result<std::shared_ptr<SaeModule>> gemmaScopeModule(const QString &path, SaeConfig config,
                                                    SaeWeights weights, bool embedding)
{
    QString problem;
    std::shared_ptr<SaeModule> module = finish(config, std::move(weights), &problem);
    if (!problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(path, problem));
    }
    if (embedding) {
        // The embedding SAEs were trained on the embedding rows before Gemma's √d_model scale,
        // while hook_embed carries the scaled ones (as in TransformerLens); SAELens divides W_enc
        // by √d_in for the same reason. b_dec is scaled with W_dec so reconstructions land in
        // hook_embed's units too (SAELens leaves it as it is).
        foldInputScaleInPlace(module->mutableWeights(),
                              1.0 / std::sqrt(static_cast<double>(config.dIn)));
    }
    return module;
}

Result<std::shared_ptr<SaeModule>> loadGemmaScopeNpz(const QString &path, const at::Device &target)
{
    Result<NpzArchive> archive = NpzArchive::open(path);
    if (!archive) {
        return archive.status();
    }
    const NpzArchive &a = archive.value();
    const QString wEnc = firstPresent(a, QStringLiteral("W_enc"), QStringLiteral("w_enc"));
    const QString wDec = firstPresent(a, QStringLiteral("W_dec"), QStringLiteral("w_dec"));
    QStringList missing;
    if (wEnc.isEmpty()) {
        missing << QStringLiteral("W_enc");
    }
    if (wDec.isEmpty()) {
        missing << QStringLiteral("W_dec");
    }
    for (const char *name : {"b_enc", "b_dec", "threshold"}) {
        if (!a.contains(QLatin1String(name))) {
            missing << QLatin1String(name);
        }
    }
    if (!missing.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: missing arrays for a Gemma Scope SAE: %2")
                                            .arg(path, missing.join(QStringLiteral(", "))));
    }
    const QVector<qint64> &encoderShape = a.entry(wEnc)->shape;
    if (encoderShape.size() != 2) {
        return Status::invalidInput(QStringLiteral("%1: %2 must be 2-D, got shape %3")
                                            .arg(path, wEnc, shapeToString(encoderShape)));
    }
    const GemmaScopeRelease release = gemmaScopeReleaseFromPath(path);
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = encoderShape[0];
    config.dSae = encoderShape[1];
    config.applyBDecToInput = false;
    config.hookName = release.hookName;
    config.modelName = release.modelName;
    config.format = QStringLiteral("gemma-scope");
    // Copied 64 MiB of float32 at a time, each slice's pages of the mapping let go: the load
    // holds the SAE and one slice of the file, not a whole second copy (as the safetensors
    // loaders do, copyFromArchive).
    auto tensor = [&](const QString &name) {
        const NpyEntry &entry = *a.entry(name);
        at::Tensor values = at::empty(std::vector<int64_t>(entry.shape.begin(), entry.shape.end()),
                                      at::TensorOptions().dtype(at::kFloat));
        constexpr qint64 kSlice = qint64(16) << 20;
        for (qint64 begin = 0; begin < entry.count; begin += kSlice) {
            a.copyValues(entry, begin, std::min(kSlice, entry.count - begin),
                         values.data_ptr<float>() + begin, /*release=*/true);
        }
        return values.to(target);
    };
    SaeWeights weights{tensor(wEnc), tensor(QStringLiteral("b_enc")), tensor(wDec),
                       tensor(QStringLiteral("b_dec")), tensor(QStringLiteral("threshold"))};
    return gemmaScopeModule(path, config, std::move(weights), release.embedding);
}

Result<std::shared_ptr<SaeModule>> loadGemmaScopeSafetensors(const QString &path,
                                                             const at::Device &target)
{
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
    if (!archive) {
        return archive.status();
    }
    const SafetensorsArchive &file = archive.value();
    const QString wEnc = firstPresent(file, QStringLiteral("W_enc"), QStringLiteral("w_enc"));
    const QString wDec = firstPresent(file, QStringLiteral("W_dec"), QStringLiteral("w_dec"));
    if (wEnc.isEmpty() || wDec.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: a Gemma Scope SAE needs w_enc and w_dec tensors").arg(path));
    }
    const at::Tensor encoder = tensorFromArchive(file, wEnc);
    if (encoder.dim() != 2) {
        return Status::invalidInput(QStringLiteral("%1: %2 must be 2-D").arg(path, wEnc));
    }
    const int64_t d = encoder.size(0);
    const int64_t n = encoder.size(1);
    if (Status status =
                checkTensors(file,
                             {{wDec, {n, d}},
                              {QStringLiteral("b_enc"), {n}},
                              {QStringLiteral("b_dec"), {d}},
                              {QStringLiteral("threshold"), {n}}},
                             QStringLiteral("Gemma Scope SAE (d_in=%1, d_sae=%2)").arg(d).arg(n));
        !status.isOk()) {
        return status.withContext(path);
    }
    const GemmaScopeRelease release = gemmaScopeReleaseFromPath(path);
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = d;
    config.dSae = n;
    config.applyBDecToInput = false;
    config.hookName = release.hookName;
    config.modelName = release.modelName;
    config.format = QStringLiteral("gemma-scope");
    auto tensor = [&](const QString &name) {
        return copyFromArchive(file, name, at::kFloat, target);
    };
    SaeWeights weights{tensor(wEnc), tensor(QStringLiteral("b_enc")), tensor(wDec),
                       tensor(QStringLiteral("b_dec")), tensor(QStringLiteral("threshold"))};
    // Copied: a truncation before this point read zeros (mapped_file_guard.h).
    if (Status unchanged = checkMappingsUnchanged(file); !unchanged.isOk()) {
        return unchanged;
    }
    return gemmaScopeModule(path, config, std::move(weights), release.embedding);
}

}  // namespace

GemmaScopeRelease gemmaScopeReleaseFromPath(const QString &path)
{
    GemmaScopeRelease release;
    const QString normalised = QDir::fromNativeSeparators(path).toLower();
    // Gemma Scope (Gemma 2): gemma-scope-2b-pt-res; Gemma Scope 2 (Gemma 3):
    // gemma-scope-2-1b-pt with resid_post/mlp_out/attn_out folders. A Hugging Face cache path
    // (models--google--gemma-scope-2b-pt-res) matches too.
    static const QRegularExpression scope1(
            QStringLiteral("gemma-scope-(2b|9b|27b)-(pt|it)-(res|mlp|att|transcoders)"));
    static const QRegularExpression scope2(
            QStringLiteral("gemma-scope-2-(270m|1b|4b|12b|27b)-(pt|it)"));
    static const QRegularExpression site2(QStringLiteral("(resid_post|mlp_out|attn_out)"));
    static const QRegularExpression layer(QStringLiteral("layer_(\\d+)"));
    const QRegularExpressionMatch layerMatch = layer.match(normalised);
    const QString blocks = layerMatch.hasMatch()
                                   ? QStringLiteral("blocks.%1.").arg(layerMatch.captured(1))
                                   : QString();
    QString site;
    if (const QRegularExpressionMatch m = scope1.match(normalised); m.hasMatch()) {
        release.modelName =
                QStringLiteral("gemma-2-%1").arg(m.captured(1)) +
                (m.captured(2) == QLatin1String("it") ? QStringLiteral("-it") : QString());
        site = m.captured(3);
    } else if (const QRegularExpressionMatch m2 = scope2.match(normalised); m2.hasMatch()) {
        release.modelName =
                QStringLiteral("gemma-3-%1").arg(m2.captured(1)) +
                (m2.captured(2) == QLatin1String("it") ? QStringLiteral("-it") : QString());
        const QRegularExpressionMatch s = site2.match(normalised);
        site = s.hasMatch() ? s.captured(1) : QString();
    } else {
        return release;
    }
    if ((site == QLatin1String("res") || site == QLatin1String("resid_post")) &&
        normalised.contains(QLatin1String("embedding"))) {
        release.hookName = QStringLiteral("hook_embed");
        release.embedding = true;
    } else if (blocks.isEmpty()) {
        return release;
    } else if (site == QLatin1String("res") || site == QLatin1String("resid_post")) {
        release.hookName = blocks + QStringLiteral("hook_resid_post");
    } else if (site == QLatin1String("mlp") || site == QLatin1String("mlp_out")) {
        release.hookName = blocks + QStringLiteral("hook_mlp_out");
    } else if (site == QLatin1String("attn_out")) {
        release.hookName = blocks + QStringLiteral("hook_attn_out");
    } else if (site == QLatin1String("att")) {
        release.hookName = blocks + QStringLiteral("attn.hook_z");
    }
    // Transcoders map one hook to another: no single hook to name.
    return release;
}

Result<std::shared_ptr<SaeModule>> loadGemmaScope(const QString &path, const QString &device)
{
    const at::Device target(device.toStdString());
    if (path.endsWith(QLatin1String(".safetensors"))) {
        return loadGemmaScopeSafetensors(path, target);
    }
    return loadGemmaScopeNpz(path, target);
}

Result<std::shared_ptr<SaeModule>> loadLlamaScope(const QString &directory, const QString &device)
{
    Result<SaeFileInfo> read = readLlamaScopeInfo(directory);
    if (!read) {
        return read.status();
    }
    const SaeFileInfo &info = read.value();
    QString weightsPath = QDir(directory).filePath(QStringLiteral("checkpoints/final.safetensors"));
    if (!QFileInfo::exists(weightsPath) &&
        QFileInfo::exists(QDir(directory).filePath(QStringLiteral("final.safetensors")))) {
        weightsPath = QDir(directory).filePath(QStringLiteral("final.safetensors"));
    }
    if (!QFileInfo::exists(weightsPath)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(weightsPath));
    }
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(weightsPath);
    if (!archive) {
        return archive.status();
    }
    const int64_t d = info.config.dIn;
    const int64_t n = info.config.dSae;
    const bool decoderBias = archive.value().contains(QStringLiteral("decoder.bias"));
    std::vector<ExpectedTensor> expected = {{QStringLiteral("encoder.weight"), {n, d}},
                                            {QStringLiteral("encoder.bias"), {n}},
                                            {QStringLiteral("decoder.weight"), {d, n}}};
    if (decoderBias) {
        expected.push_back({QStringLiteral("decoder.bias"), {d}});
    }
    if (Status status = checkTensors(
                archive.value(), expected,
                QStringLiteral("Llama Scope SAE (hyperparams.json d_model=%1, d_sae=%2)")
                        .arg(d)
                        .arg(n));
        !status.isOk()) {
        return status.withContext(weightsPath);
    }
    const at::Device target(device.toStdString());
    // A slice of the file at a time (copyFromArchive); the [d_sae, d_in] Linear weights are
    // transposed as they are copied, not copied twice.
    auto tensor = [&](const QString &name, bool transposed = false) {
        return copyFromArchive(archive.value(), name, at::kFloat, target, transposed);
    };
    const Result<QJsonObject> hp = readJsonObjectFile(QDir(directory).filePath(kLlamaScopeConfig));
    if (!hp) {
        return hp.status();
    }
    const double theta = hp.value().value(QStringLiteral("jump_relu_threshold")).toDouble();
    const double s = info.foldedInputScale;
    SaeWeights weights;
    weights.wEnc = tensor(QStringLiteral("encoder.weight"), /*transposed=*/true);
    weights.bEnc = tensor(QStringLiteral("encoder.bias"));
    weights.wDec = tensor(QStringLiteral("decoder.weight"), /*transposed=*/true);
    weights.bDec = decoderBias ? tensor(QStringLiteral("decoder.bias"))
                               : at::zeros({d}, at::TensorOptions().device(target));
    // In training the input was x·s with s = √d_model / dataset_average_activation_norm.in.
    // foldInputScale(s) takes that scale into W_enc (and out of W_dec, b_dec), and the one
    // threshold becomes θ·s: the convention SAELens adopted from the Llama Scope authors
    // (SAELens PR #483, "Fix abnormally large llamascope L0").
    weights.threshold = at::full({n}, theta * s, at::TensorOptions().device(target));
    // Copied: a truncation before this point read zeros (mapped_file_guard.h).
    if (Status unchanged = checkMappingsUnchanged(*archive); !unchanged.isOk()) {
        return unchanged;
    }
    QString problem;
    std::shared_ptr<SaeModule> module = finish(info.config, std::move(weights), &problem);
    if (!problem.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(weightsPath, problem));
    }
    if (s != 1.0) {
        foldInputScaleInPlace(module->mutableWeights(), s);
    }
    return module;
}

}  // namespace gyrus::gpu::detail
