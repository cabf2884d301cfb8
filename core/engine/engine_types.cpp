#include "core/engine/engine_types.h"

#include <QDir>
#include <QFileInfo>

namespace gyrus {

qint64 WeightUse::bytesForLayer(int layer) const
{
    qint64 total = embeddingBytes;
    for (int l = 0; l <= layer && l < static_cast<int>(layerBytes.size()); ++l) {
        total += layerBytes[static_cast<size_t>(l)];
    }
    return total;
}

qint64 WeightUse::bytesForGeneration() const
{
    return bytesForLayer(static_cast<int>(layerBytes.size()) - 1) + headBytes;
}

QString modelDisplayName(const QString &path)
{
    const QDir dir(path);
    QString name = dir.dirName();
    if (name == QLatin1String("model") || name == QLatin1String("hf")) {
        name = QFileInfo(dir.absolutePath()).dir().dirName() + QLatin1Char('/') + name;
    }
    return name;
}

void ModelInfo::setPath(const QString &directory)
{
    path = directory;
    name = modelDisplayName(directory);
}

}  // namespace gyrus
