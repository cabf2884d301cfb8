#include "core/engine/hook_layer.h"

#include <QStringList>

namespace gyrus {

int hookLayer(const QString &hook)
{
    const QStringList parts = hook.split(QLatin1Char('.'));
    if (parts.size() < 3 || parts.front() != QLatin1String("blocks")) {
        return -1;
    }
    bool ok = false;
    const int layer = parts[1].toInt(&ok);
    return ok && layer >= 0 ? layer : -1;
}

}  // namespace gyrus
