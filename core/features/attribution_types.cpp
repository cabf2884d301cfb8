#include "core/features/attribution_types.h"

#include <numeric>

namespace gyrus {

namespace {

double sum(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0);
}

}  // namespace

double AttributionResult::featureSum() const
{
    double total = 0.0;
    for (const FeatureAttribution &f : features) {
        total += f.attribution;
    }
    return total;
}

double AttributionResult::errorSum() const
{
    return sum(errorAttribution);
}

double AttributionResult::biasSum() const
{
    return sum(biasAttribution);
}

double AttributionResult::total() const
{
    return sum(totalAttribution);
}

std::vector<double> AttributionResult::featuresPerPosition() const
{
    std::vector<double> perPosition(tokens.size(), 0.0);
    for (const FeatureAttribution &f : features) {
        if (f.position >= 0 && size_t(f.position) < perPosition.size()) {
            perPosition[size_t(f.position)] += f.attribution;
        }
    }
    return perPosition;
}

}  // namespace gyrus
