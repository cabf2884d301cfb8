#include "gpu/model/random_llama.h"

#include "gpu/model/random_llama_weights.h"
#include "gpu/model/safetensors_torch.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace gyrus::gpu {

namespace detail {

std::map<std::string, at::Tensor> randomLlamaTensors(const ModelConfig &config, uint64_t seed)
{
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::map<std::string, at::Tensor> tensors;
    for (const auto &[name, shape] : expectedLlamaTensors(config)) {
        const std::vector<int64_t> sizes(shape.begin(), shape.end());
        at::Tensor t = at::randn(sizes, gen, at::kFloat);
        if (sizes.size() == 1) {
            t = 1.0 + 0.2 * t;
        } else if (!name.contains(QLatin1String("embed_tokens"))) {
            t = t / std::sqrt(static_cast<double>(sizes.back()));
        }
        tensors[name.toStdString()] = t;
    }
    return tensors;
}

}  // namespace detail

Status writeRandomLlama(const QString &dir, const ModelConfig &config, quint64 seed, DType dtype)
{
    if (Status valid = validateModelConfig(config); !valid.isOk()) {
        return valid;
    }
    if (dtype != DType::F32 && dtype != DType::BF16 && dtype != DType::F16) {
        return Status::invalidInput(
                QStringLiteral("random weights must be F32, BF16 or F16, not %1")
                        .arg(dtypeName(dtype)));
    }
    if (!QDir().mkpath(dir)) {
        return Status::invalidInput(QStringLiteral("cannot create directory '%1'").arg(dir));
    }
    ModelConfig written = config;
    written.torchDtype = dtype == DType::F32    ? QStringLiteral("float32")
                         : dtype == DType::BF16 ? QStringLiteral("bfloat16")
                                                : QStringLiteral("float16");
    QSaveFile configFile(QDir(dir).filePath(QStringLiteral("config.json")));
    if (!configFile.open(QIODevice::WriteOnly) ||
        configFile.write(modelConfigToJson(written)) < 0 || !configFile.commit()) {
        return Status::invalidInput(QStringLiteral("cannot write '%1'").arg(configFile.fileName()));
    }
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto &[name, tensor] : detail::randomLlamaTensors(written, seed)) {
        tensors.emplace_back(name, tensor.to(toScalarType(dtype)));
    }
    return writeTensors(QDir(dir).filePath(QStringLiteral("model.safetensors")), tensors);
}

Status writeRandomModel(const QString &dir, const QByteArray &configJson, quint64 seed)
{
    const Result<ModelConfig> config = parseModelConfig(configJson, QStringLiteral("config.json"));
    if (!config) {
        return config.status();
    }
    if (!QDir().mkpath(dir)) {
        return Status::invalidInput(QStringLiteral("cannot create directory '%1'").arg(dir));
    }
    QSaveFile configFile(QDir(dir).filePath(QStringLiteral("config.json")));
    if (!configFile.open(QIODevice::WriteOnly) || configFile.write(configJson) < 0 ||
        !configFile.commit()) {
        return Status::invalidInput(QStringLiteral("cannot write '%1'").arg(configFile.fileName()));
    }
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (auto &[name, tensor] : detail::randomLlamaTensors(*config, seed)) {
        tensors.emplace_back(name, tensor);
    }
    return writeTensors(QDir(dir).filePath(QStringLiteral("model.safetensors")), tensors);
}

Status writeRandomShardedModel(const QString &dir, const QByteArray &configJson, quint64 seed,
                               DType dtype, int layersPerShard, int corruptLayer,
                               const std::function<void(double)> &progress)
{
    const Result<ModelConfig> config = parseModelConfig(configJson, QStringLiteral("config.json"));
    if (!config) {
        return config.status();
    }
    if (layersPerShard < 1) {
        return Status::invalidInput(QStringLiteral("layersPerShard must be at least 1"));
    }
    if (!QDir().mkpath(dir)) {
        return Status::invalidInput(QStringLiteral("cannot create directory '%1'").arg(dir));
    }
    QSaveFile configFile(QDir(dir).filePath(QStringLiteral("config.json")));
    if (!configFile.open(QIODevice::WriteOnly) || configFile.write(configJson) < 0 ||
        !configFile.commit()) {
        return Status::invalidInput(QStringLiteral("cannot write '%1'").arg(configFile.fileName()));
    }
    const std::vector<ModelTensor> all = modelTensors(*config);
    const int layers = config->numHiddenLayers;
    const int shards = (layers + layersPerShard - 1) / layersPerShard;
    const auto shardOf = [&](const ModelTensor &tensor) {
        if (tensor.layer >= 0) {
            return tensor.layer / layersPerShard;
        }
        const bool stem = tensor.role == WeightRole::Embed || tensor.role == WeightRole::PosEmbed;
        return stem ? 0 : shards - 1;
    };
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    nlohmann::json weightMap = nlohmann::json::object();
    qint64 totalSize = 0;
    qint64 totalNumel = 0;
    for (const ModelTensor &tensor : all) {
        int64_t n = 1;
        for (const qint64 dim : tensor.shape) {
            n *= dim;
        }
        totalNumel += n;
    }
    qint64 written = 0;
    bool corrupted = false;
    for (int shard = 0; shard < shards; ++shard) {
        const QString file = QStringLiteral("model-%1-of-%2.safetensors")
                                     .arg(shard + 1, 5, 10, QLatin1Char('0'))
                                     .arg(shards, 5, 10, QLatin1Char('0'));
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (const ModelTensor &tensor : all) {
            if (shardOf(tensor) != shard) {
                continue;
            }
            const std::vector<int64_t> sizes(tensor.shape.begin(), tensor.shape.end());
            at::Tensor t = at::randn(sizes, gen, at::kFloat);
            if (sizes.size() == 1) {
                t = 1.0 + 0.2 * t;
            } else if (tensor.role != WeightRole::Embed) {
                t.div_(std::sqrt(static_cast<double>(sizes.back())));
            }
            // corruptLayer -1 means none: the stem tensors also have layer -1 and must stay
            // finite (the embedding's middle row was NaN in every uncorrupted checkpoint).
            if (corruptLayer >= 0 && tensor.layer == corruptLayer && sizes.size() == 2 &&
                !corrupted) {
                t.view({-1})[t.numel() / 2] = std::numeric_limits<float>::quiet_NaN();
                corrupted = true;
            }
            t = t.to(toScalarType(dtype));
            totalSize += static_cast<qint64>(t.nbytes());
            written += t.numel();
            weightMap[tensor.name.toStdString()] = file.toStdString();
            tensors.emplace_back(tensor.name.toStdString(), std::move(t));
        }
        if (Status ok = writeTensors(QDir(dir).filePath(file), tensors); !ok.isOk()) {
            return ok;
        }
        if (progress) {
            progress(static_cast<double>(written) / static_cast<double>(totalNumel));
        }
    }
    nlohmann::json index;
    index["metadata"] = {{"total_size", totalSize}};
    index["weight_map"] = weightMap;
    QSaveFile indexFile(QDir(dir).filePath(QStringLiteral("model.safetensors.index.json")));
    const std::string text = index.dump(2);
    if (!indexFile.open(QIODevice::WriteOnly) ||
        indexFile.write(text.data(), qint64(text.size())) < 0 || !indexFile.commit()) {
        return Status::invalidInput(QStringLiteral("cannot write '%1'").arg(indexFile.fileName()));
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
