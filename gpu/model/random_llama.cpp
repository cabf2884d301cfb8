#include "gpu/model/random_llama.h"

#include "gpu/detail/random_llama.h"
#include "gpu/detail/safetensors_torch.h"

#include <QDir>
#include <QFile>
#include <QSaveFile>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
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

}  // namespace gyrus::gpu
