#include "core/rsa/rank_tests.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus {

namespace {

// Midranks (1-based) of `values`.
std::vector<double> midranks(const std::vector<double> &values)
{
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(),
              [&values](size_t x, size_t y) { return values[x] < values[y]; });
    std::vector<double> ranks(values.size());
    for (size_t start = 0; start < order.size();) {
        size_t end = start;
        while (end + 1 < order.size() && values[order[end + 1]] == values[order[start]]) {
            ++end;
        }
        const double rank = 0.5 * double(start + end) + 1.0;
        for (size_t i = start; i <= end; ++i) {
            ranks[order[i]] = rank;
        }
        start = end + 1;
    }
    return ranks;
}

// H of the pooled values split into consecutive groups of `sizes`.
double kruskalWallisPooled(const std::vector<double> &pooled, const std::vector<size_t> &sizes)
{
    const double n = double(pooled.size());
    if (n < 2) {
        return 0;
    }
    const std::vector<double> ranks = midranks(pooled);
    double h = 0;
    size_t at = 0;
    for (size_t size : sizes) {
        double sum = 0;
        for (size_t i = 0; i < size; ++i) {
            sum += ranks[at + i];
        }
        at += size;
        if (size > 0) {
            h += sum * sum / double(size);
        }
    }
    h = 12.0 / (n * (n + 1.0)) * h - 3.0 * (n + 1.0);
    // Tie correction: 1 − Σ(t³ − t) / (n³ − n).
    std::vector<double> sorted = pooled;
    std::sort(sorted.begin(), sorted.end());
    double ties = 0;
    for (size_t start = 0; start < sorted.size();) {
        size_t end = start;
        while (end + 1 < sorted.size() && sorted[end + 1] == sorted[start]) {
            ++end;
        }
        const double t = double(end - start + 1);
        ties += t * t * t - t;
        start = end + 1;
    }
    const double correction = 1.0 - ties / (n * n * n - n);
    return correction > 0 ? h / correction : 0.0;
}

}  // namespace

double mannWhitneyU(const std::vector<double> &a, const std::vector<double> &b)
{
    double u = 0;
    for (double x : a) {
        for (double y : b) {
            u += x > y ? 1.0 : (x == y ? 0.5 : 0.0);
        }
    }
    return u;
}

double kruskalWallisH(const std::vector<std::vector<double>> &groups)
{
    std::vector<double> pooled;
    std::vector<size_t> sizes;
    for (const std::vector<double> &group : groups) {
        pooled.insert(pooled.end(), group.begin(), group.end());
        sizes.push_back(group.size());
    }
    return kruskalWallisPooled(pooled, sizes);
}

double mannWhitneyPermutationP(const std::vector<double> &a, const std::vector<double> &b,
                               int permutations, uint64_t seed)
{
    const double centre = 0.5 * double(a.size() * b.size());
    const double observed = std::abs(mannWhitneyU(a, b) - centre);
    std::vector<double> pooled = a;
    pooled.insert(pooled.end(), b.begin(), b.end());
    std::mt19937_64 rng(seed);
    int hits = 0;
    for (int p = 0; p < permutations; ++p) {
        std::shuffle(pooled.begin(), pooled.end(), rng);
        const std::vector<double> x(pooled.begin(), pooled.begin() + std::ptrdiff_t(a.size()));
        const std::vector<double> y(pooled.begin() + std::ptrdiff_t(a.size()), pooled.end());
        hits += std::abs(mannWhitneyU(x, y) - centre) >= observed - 1e-12 ? 1 : 0;
    }
    return double(1 + hits) / double(1 + permutations);
}

double kruskalWallisPermutationP(const std::vector<std::vector<double>> &groups, int permutations,
                                 uint64_t seed)
{
    std::vector<double> pooled;
    std::vector<size_t> sizes;
    for (const std::vector<double> &group : groups) {
        pooled.insert(pooled.end(), group.begin(), group.end());
        sizes.push_back(group.size());
    }
    const double observed = kruskalWallisPooled(pooled, sizes);
    std::mt19937_64 rng(seed);
    int hits = 0;
    for (int p = 0; p < permutations; ++p) {
        std::shuffle(pooled.begin(), pooled.end(), rng);
        hits += kruskalWallisPooled(pooled, sizes) >= observed - 1e-12 ? 1 : 0;
    }
    return double(1 + hits) / double(1 + permutations);
}

}  // namespace gyrus
