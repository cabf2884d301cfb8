#include "gpu/sae/sae_config.h"

namespace gyrus::gpu {

QString architectureName(SaeArchitecture architecture)
{
    switch (architecture) {
        case SaeArchitecture::Relu:
            return QStringLiteral("relu");
        case SaeArchitecture::TopK:
            return QStringLiteral("topk");
        case SaeArchitecture::BatchTopK:
            return QStringLiteral("batchtopk");
        case SaeArchitecture::JumpRelu:
            return QStringLiteral("jumprelu");
    }
    return QString();
}

std::optional<SaeArchitecture> architectureFromName(const QString &name)
{
    const QString lower = name.toLower();
    if (lower == QLatin1String("relu") || lower == QLatin1String("standard")) {
        return SaeArchitecture::Relu;
    }
    if (lower == QLatin1String("topk")) {
        return SaeArchitecture::TopK;
    }
    if (lower == QLatin1String("batchtopk")) {
        return SaeArchitecture::BatchTopK;
    }
    if (lower == QLatin1String("jumprelu")) {
        return SaeArchitecture::JumpRelu;
    }
    return std::nullopt;
}

}  // namespace gyrus::gpu
