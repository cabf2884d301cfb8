#pragma once

#include <QString>

#include <cstdint>
#include <vector>

namespace gyrus {

/// A univariate contrast computed for every feature (a column of an items × features table):
/// condition A minus condition B, or a weighted contrast of cell means in a factorial design.
/// All vectors have featureCount() entries.
struct ContrastResult
{
    QString name;                  ///< "A - B", "main effect of factor", "interaction", ...
    std::vector<double> meanDiff;  ///< the contrast estimate (A − B, or Σ c_k · mean_k)
    std::vector<double> t;         ///< Welch t (0 where undefined, see zeroVariance)
    std::vector<double> df;        ///< Welch–Satterthwaite degrees of freedom
    std::vector<double> p;         ///< two-sided p from Student's t with df (1 where undefined)
    std::vector<double> q;         ///< Benjamini–Hochberg adjusted p across features
    std::vector<double> d;         ///< Cohen's d: estimate / pooled within-group SD
    std::vector<double> g;         ///< Hedges' g: d · (1 − 3 / (4·df_pooled − 1))
    /// True where every group has zero variance: t is undefined and reported as t = 0, p = 1.
    std::vector<bool> zeroVariance;

    /// Paired (within-item) test, present when items were paired: t on the pair differences,
    /// df = pairs − 1. Empty otherwise.
    std::vector<double> pairedT;
    std::vector<double> pairedP;
    std::vector<double> pairedQ;
    int64_t pairCount = 0;

    int64_t countA = 0;  ///< items in condition A (two-group contrasts)
    int64_t countB = 0;

    int64_t featureCount() const { return static_cast<int64_t>(t.size()); }

    bool hasPaired() const { return !pairedT.empty(); }
};

/// The three contrasts of a 2 × 2 design, each a ContrastResult over the same features.
struct FactorialContrasts
{
    ContrastResult mainA;
    ContrastResult mainB;
    ContrastResult interaction;
    int64_t cellCounts[4] = {0, 0, 0, 0};  ///< items in cells a0b0, a0b1, a1b0, a1b1
};

}  // namespace gyrus
