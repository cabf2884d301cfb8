// Temporal RSA scores of a training set from presorted pairs (gpu/analysis/temporal_selection.h),
// and the original project's t statistics from its per-pair transforms. Plain C++: a fold's work
// is one walk over arrays that were computed once per table.

#include "gpu/analysis/temporal_selection.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace gyrus::gpu::detail {

namespace {

// Spearman's rank correlation with a 0/1 model from integer tallies: with average ranks for
// ties, Σ rank = n(n + 1)/2 and Σ rank² − (Σ rank)²/n = (n³ − n − Σ_groups (t³ − t)) / 12, so a
// walk over the sorted pairs only needs the count, the model's ones, twice the ranks' sum over
// the ones and the tie term.
struct RankTally
{
    int64_t count = 0;
    int64_t ones = 0;
    int64_t twiceRankOnOnes = 0;
    int64_t ties = 0;

    double correlation() const
    {
        if (count < 2) {
            return 0.0;
        }
        const double n = double(count);
        const double rankSpread = (n * n * n - n - double(ties)) / 12.0;
        const double modelSpread = double(ones) - double(ones) * double(ones) / n;
        const double covariance = 0.5 * double(twiceRankOnOnes) - double(ones) * (n + 1.0) * 0.5;
        return rankSpread > 0 && modelSpread > 0 ? covariance / std::sqrt(rankSpread * modelSpread)
                                                 : 0.0;
    }
};

}  // namespace

std::vector<uint8_t> temporalPairCodes(const TemporalPairOrders &orders,
                                       const std::vector<uint8_t> &inTraining,
                                       const std::vector<int64_t> &labels)
{
    std::vector<uint8_t> codes(orders.first.size(), 0);
    for (size_t p = 0; p < codes.size(); ++p) {
        const auto i = size_t(orders.first[p]);
        const auto j = size_t(orders.second[p]);
        if (!inTraining[i] || !inTraining[j]) {
            continue;
        }
        const bool between = labels[i] != labels[j];
        codes[p] = uint8_t(1 | (between ? 2 : 0) | (between ? 0 : 4) |
                           (!between && labels[i] == 1 ? 8 : 0));
    }
    return codes;
}

void temporalFoldScores(const TemporalPairOrders &orders, const std::vector<uint8_t> &codes,
                        double *discriminative, double *categorical)
{
    constexpr uint32_t kTies = TemporalPairOrders::kTiesWithPrevious;
    constexpr uint32_t kPair = ~kTies;
    for (int64_t f = 0; f < orders.features; ++f) {
        const uint32_t *entry = orders.entries.data() + orders.offsets[size_t(f)];
        const uint32_t *end = orders.entries.data() + orders.offsets[size_t(f) + 1];
        RankTally d;
        RankTally c;
        while (entry < end) {
            if (entry + 1 == end || !(entry[1] & kTies)) {
                // A distance of its own (the common case): its rank is the count so far.
                const uint32_t code = codes[*entry & kPair];
                d.count += code & 1;
                d.ones += (code >> 1) & 1;
                d.twiceRankOnOnes += 2 * d.count * ((code >> 1) & 1);
                c.count += (code >> 2) & 1;
                c.ones += (code >> 3) & 1;
                c.twiceRankOnOnes += 2 * c.count * ((code >> 3) & 1);
                ++entry;
                continue;
            }
            int64_t dMembers = 0;
            int64_t dOnes = 0;
            int64_t cMembers = 0;
            int64_t cOnes = 0;
            do {
                const uint32_t code = codes[*entry & kPair];
                dMembers += code & 1;
                dOnes += (code >> 1) & 1;
                cMembers += (code >> 2) & 1;
                cOnes += (code >> 3) & 1;
                ++entry;
            } while (entry < end && (*entry & kTies));
            // Every member gets the group's average rank: base + (t + 1)/2.
            for (auto [tally, members, ones] :
                 {std::tuple{&d, dMembers, dOnes}, std::tuple{&c, cMembers, cOnes}}) {
                tally->twiceRankOnOnes += ones * (2 * tally->count + members + 1);
                tally->ties += members * members * members - members;
                tally->count += members;
                tally->ones += ones;
            }
        }
        if (discriminative) {
            discriminative[f] = d.correlation();
        }
        if (categorical) {
            categorical[f] = c.correlation();
        }
    }
}

namespace {

// Student's t with the pooled variance (scipy.stats.ttest_ind, equal_var=True) from tallies;
// 0 where it is not finite, as the seed set it.
double studentT(const double count[2], const double total[2], const double squares[2])
{
    if (count[0] < 1 || count[1] < 1) {
        return 0.0;
    }
    const double mean0 = total[0] / count[0];
    const double mean1 = total[1] / count[1];
    const double ss0 = std::max(0.0, squares[0] - count[0] * mean0 * mean0);
    const double ss1 = std::max(0.0, squares[1] - count[1] * mean1 * mean1);
    const double pooled = (ss0 + ss1) / (count[0] + count[1] - 2.0);
    const double t = (mean0 - mean1) / std::sqrt(pooled * (1.0 / count[0] + 1.0 / count[1]));
    return std::isfinite(t) ? t : 0.0;
}

// z-scored over features with the population SD, when that SD is not ~0 (the seed's last step).
void standardise(double *values, int64_t count)
{
    double mean = 0;
    for (int64_t f = 0; f < count; ++f) {
        mean += values[f];
    }
    mean /= double(std::max<int64_t>(1, count));
    double spread = 0;
    for (int64_t f = 0; f < count; ++f) {
        spread += (values[f] - mean) * (values[f] - mean);
    }
    const double sd = std::sqrt(spread / double(std::max<int64_t>(1, count)));
    if (sd > 1e-9) {
        for (int64_t f = 0; f < count; ++f) {
            values[f] = (values[f] - mean) / sd;
        }
    }
}

}  // namespace

void seedFoldScores(const SeedPairTransforms &transforms, const std::vector<uint8_t> &inTraining,
                    const std::vector<int64_t> &labels, double *discriminative, double *categorical)
{
    const int64_t n = transforms.items;
    const int64_t pairs = n * (n - 1) / 2;
    // The training pairs and their side: 0 within set 1 (label 0), 1 between, 2 within set 2.
    std::vector<uint32_t> trainingPairs;
    std::vector<uint8_t> side;
    int64_t p = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j, ++p) {
            if (inTraining[size_t(i)] && inTraining[size_t(j)]) {
                trainingPairs.push_back(uint32_t(p));
                const int64_t a = labels[size_t(i)];
                const int64_t b = labels[size_t(j)];
                side.push_back(a != b ? 1 : (a == 0 ? 0 : 2));
            }
        }
    }
    double valuesInTraining = 0;
    for (int64_t i = 0; i < n; ++i) {
        valuesInTraining += inTraining[size_t(i)] ? double(transforms.positions) : 0.0;
    }
    for (int64_t f = 0; f < transforms.features; ++f) {
        if (discriminative) {
            discriminative[f] = 0.0;
        }
        if (categorical) {
            categorical[f] = 0.0;
        }
        double sum = 0;
        double squares = 0;
        bool anyFlat = false;
        for (int64_t i = 0; i < n; ++i) {
            if (inTraining[size_t(i)]) {
                sum += transforms.sums[size_t(f * n + i)];
                squares += transforms.squares[size_t(f * n + i)];
                anyFlat = anyFlat || transforms.flat[size_t(f * n + i)];
            }
        }
        // np.std of the stacked time courses < 1e-9, or a NaN in np.corrcoef (a constant time
        // course): the seed scored 0.
        const double mean = sum / valuesInTraining;
        const double sd = std::sqrt(std::max(0.0, squares / valuesInTraining - mean * mean));
        if (sd < 1e-9 || anyFlat) {
            continue;
        }
        double count[3] = {0, 0, 0};
        double total[3] = {0, 0, 0};
        double totalSquares[3] = {0, 0, 0};
        const double *z = transforms.z.data() + f * pairs;
        for (size_t q = 0; q < trainingPairs.size(); ++q) {
            const double value = z[trainingPairs[q]];
            if (std::isnan(value)) {
                continue;  // r ≤ 0: dropped by the seed
            }
            const uint8_t s = side[q];
            count[s] += 1;
            total[s] += value;
            totalSquares[s] += value * value;
        }
        if (discriminative) {
            discriminative[f] = studentT(count, total, totalSquares);
        }
        if (categorical) {
            const double c[2] = {count[0], count[2]};
            const double t[2] = {total[0], total[2]};
            const double q[2] = {totalSquares[0], totalSquares[2]};
            categorical[f] = studentT(c, t, q);
        }
    }
    for (double *scores : {discriminative, categorical}) {
        if (scores) {
            standardise(scores, transforms.features);
        }
    }
}

std::vector<double> seedTemporalScores(const SeedPairTransforms &transforms,
                                       const std::vector<uint8_t> &inTraining,
                                       const std::vector<int64_t> &labels, TemporalRsaModel model)
{
    std::vector<double> scores(size_t(transforms.features), 0.0);
    seedFoldScores(transforms, inTraining, labels,
                   model == TemporalRsaModel::Discriminative ? scores.data() : nullptr,
                   model == TemporalRsaModel::Categorical ? scores.data() : nullptr);
    return scores;
}

}  // namespace gyrus::gpu::detail
