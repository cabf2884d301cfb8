#include "core/steering/ensemble_clamp.h"

#include <algorithm>
#include <cmath>

namespace gyrus {

Result<ClampSet> ensembleClampSet(const QString &name, const std::vector<int> &features,
                                  const std::vector<double> &weights,
                                  const std::vector<double> &sds, double strength)
{
    if (features.empty() || weights.size() != features.size() || sds.size() != features.size()) {
        return Status::invalidInput(QStringLiteral(
                "an ensemble needs one classifier weight and one spread per feature"));
    }
    double largest = 0;
    for (double w : weights) {
        if (!std::isfinite(w)) {
            return Status::invalidInput(QStringLiteral("an ensemble weight is not finite"));
        }
        largest = std::max(largest, std::abs(w));
    }
    if (largest == 0) {
        return Status::invalidInput(
                QStringLiteral("every classifier weight is 0: the ensemble steers nowhere"));
    }
    ClampSet set;
    set.name = name;
    for (size_t j = 0; j < features.size(); ++j) {
        if (weights[j] == 0) {
            continue;
        }
        FeatureClamp clamp;
        clamp.feature = features[j];
        clamp.mode = ClampMode::Add;
        clamp.value = strength * sds[j] * weights[j] / largest;
        clamp.positions = ClampPositions::All;
        set.clamps.append(clamp);
    }
    return set;
}

}  // namespace gyrus
