#include "gpu/engine/cards.h"

#include "gpu/detail/sae_module.h"

#include <QDir>
#include <QFileInfo>

namespace gyrus::gpu {

gyrus::ModelInfo modelCard(const ModelInfo &info, const QString &path)
{
    gyrus::ModelInfo card;
    card.path = path;
    // "demo/model" rather than a bare "model" for the usual layouts that end in a generic name.
    const QDir dir(path);
    card.name = dir.dirName();
    if (card.name == QLatin1String("model") || card.name == QLatin1String("hf")) {
        card.name = QFileInfo(dir.absolutePath()).dir().dirName() + QLatin1Char('/') + card.name;
    }
    card.architecture = info.architecture;
    card.family = info.family;
    card.quirks = info.quirks;
    card.bosRule = info.bosRule;
    card.centringApplies = info.centringApplies;
    card.layers = info.layers;
    card.dModel = info.dModel;
    card.heads = info.heads;
    card.kvHeads = info.kvHeads;
    card.vocabSize = info.vocab;
    card.parameters = info.parameters;
    card.memoryBytes = info.weightBytes;
    const WeightUse &use = info.weightUse;
    card.checkpointBytes = use.checkpointBytes;
    card.shards = use.shards;
    card.checkpointDtype = use.checkpointDtype;
    card.embeddingBytes = use.embeddingBytes;
    card.layerBytes = use.layerBytes.empty() ? 0 : use.layerBytes.front();
    card.generationBytes = use.bytesForGeneration();
    card.dtype = info.dtype;
    card.device = info.device;
    card.hookNames = info.hookNames;
    return card;
}

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
