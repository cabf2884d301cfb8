#pragma once

#include "core/base/vocabulary.h"

#include <QString>

#include <cstdint>
#include <limits>

namespace gyrus {

/// The comparison of two RDMs over the same stimuli: a correlation of their upper triangles,
/// its permutation p-value (item labels permuted, rows and columns together) and an optional
/// bootstrap-over-items confidence interval.
struct RsaComparison
{
    RsaMethod method = RsaMethod::Spearman;
    double r = std::numeric_limits<double>::quiet_NaN();
    double p = std::numeric_limits<double>::quiet_NaN();  ///< (k + 1) / (permutations + 1)
    RsaAlternative alternative = RsaAlternative::Greater;
    int64_t items = 0;   ///< stimuli
    int64_t nPairs = 0;  ///< upper-triangle entries compared
    int64_t permutations = 0;
    uint64_t seed = 0;
    int64_t bootstraps = 0;  ///< 0: no confidence interval
    double ciLevel = 0.95;
    double ciLow = std::numeric_limits<double>::quiet_NaN();
    double ciHigh = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace gyrus
