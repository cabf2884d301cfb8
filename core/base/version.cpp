#include "core/base/version.h"

namespace gyrus {

QString versionString()
{
    return QStringLiteral(GYRUS_VERSION_STRING);
}

}  // namespace gyrus
