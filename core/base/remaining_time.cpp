#include "core/base/remaining_time.h"

#include <cmath>

namespace gyrus {

double remainingSeconds(double fraction, double elapsedSeconds)
{
    if (!(fraction > 0) || !std::isfinite(fraction) || elapsedSeconds < 0) {
        return -1.0;
    }
    if (fraction >= 1.0) {
        return 0.0;
    }
    return elapsedSeconds * (1.0 - fraction) / fraction;
}

QString etaText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0) {
        return QStringLiteral("ETA —");
    }
    const auto s = static_cast<qint64>(std::ceil(seconds));
    if (s < 60) {
        return QStringLiteral("ETA %1 s").arg(s);
    }
    if (s < 3600) {
        return QStringLiteral("ETA %1 min %2 s").arg(s / 60).arg(s % 60);
    }
    return QStringLiteral("ETA %1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

}  // namespace gyrus
