#pragma once
// Ordinal tests for scores on a few levels (an LLM judge's 0-3 relevance ratings): Mann-Whitney's
// U between two groups and Kruskal-Wallis' H among several, ties given midranks, with p-values
// from label permutations (exact enough for small groups full of ties, where the normal and
// chi-square approximations are poor).

#include <cstdint>
#include <vector>

namespace gyrus {

/// U of `a` (the number of pairs a > b, ties counting one half).
double mannWhitneyU(const std::vector<double> &a, const std::vector<double> &b);

/// Kruskal-Wallis H with the tie correction (scipy.stats.kruskal's statistic); 0 when every value
/// ties.
double kruskalWallisH(const std::vector<std::vector<double>> &groups);

/// Two-sided permutation p of U (|U − n_a n_b / 2| at least the observed), (1 + hits) / (1 + n).
double mannWhitneyPermutationP(const std::vector<double> &a, const std::vector<double> &b,
                               int permutations, uint64_t seed);

/// Permutation p of H (at least the observed), (1 + hits) / (1 + n).
double kruskalWallisPermutationP(const std::vector<std::vector<double>> &groups, int permutations,
                                 uint64_t seed);

}  // namespace gyrus
