#include "gpu/engine/cards.h"

#include "gpu/sae/sae_module.h"

#include <QDir>
#include <QFileInfo>

namespace gyrus::gpu {

gyrus::SaeInfo saeCard(const SaeConfig &config, const QString &path, const QString &device)
{
    gyrus::SaeInfo info;
    static_cast<SaeConfig &>(info) = config;
    info.path = path;
    const QFileInfo file(path);
    info.name = file.isDir() ? QDir(path).dirName() : file.fileName();
    info.device = device;
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
    conventions.centreResiduals = card.centreInput;
    return conventions;
}

}  // namespace gyrus::gpu
