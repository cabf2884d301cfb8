#include "gpu/engine/cards.h"

#include "gpu/detail/sae_module.h"

#include <QDir>
#include <QFileInfo>

namespace gyrus::gpu {

gyrus::SaeInfo saeCard(const SaeConfig &config, const QString &path, const QString &device)
{
    gyrus::SaeInfo info;
    info.path = path;
    const QFileInfo file(path);
    info.name = file.isDir() ? QDir(path).dirName() : file.fileName();
    info.hookName = config.hookName;
    info.architecture = nameOf(config.architecture);
    info.dIn = static_cast<int>(config.dIn);
    info.dSae = static_cast<int>(config.dSae);
    info.k = config.architecture == SaeArchitecture::TopK ? static_cast<int>(config.k) : 0;
    info.device = device;
    info.format = config.format;
    info.modelName = config.modelName;
    info.prependBos = config.prependBos;
    info.centredResiduals = config.centreInput;
    info.inputNormalisation = nameOf(config.inputNormalisation);
    return info;
}

gyrus::SaeInfo saeCard(const detail::SaeModule &sae, const QString &path, const QString &device)
{
    return saeCard(sae.config(), path, device);
}

SaeConventions saeConventions(const gyrus::SaeInfo &card)
{
    SaeConventions conventions;
    conventions.prependBos = card.prependBos;
    conventions.centreResiduals = card.centredResiduals;
    return conventions;
}

}  // namespace gyrus::gpu
