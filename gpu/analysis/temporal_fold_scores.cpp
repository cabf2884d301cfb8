// Temporal RSA scores of a training set from presorted pairs (gpu/detail/temporal_selection.h),
// and the original project's t statistics from its per-pair transforms. Plain C++: a fold's work
// is one walk over arrays that were computed once per table.

#include "gpu/detail/temporal_selection.h"

#include <algorithm>
#include <cmath>

namespace gyrus::gpu::detail {

namespace {

// Spearman's rank correlation with a 0/1 model, accumulated tie group by tie group: every
// member of a group gets the group's average rank among the pairs this model counts.
struct RankAccumulator
{
    double count = 0;
    double ones = 0;
    double rankSum = 0;
    double rankSquares = 0;
    double rankOnModel = 0;

    void addGroup(double members, double modelOnes)
    {
        if (members == 0) {
            return;
        }
        const double rank = count + 0.5 * (members + 1.0);
        rankSum += members * rank;
        rankSquares += members * rank * rank;
        rankOnModel += modelOnes * rank;
        count += members;
        ones += modelOnes;
    }

    double correlation() const
    {
        const double safe = std::max(1.0, count);
        const double rankSpread = rankSquares - rankSum * rankSum / safe;
        const double modelSpread = ones - ones * ones / safe;
        const double covariance = rankOnModel - ones * rankSum / safe;
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
    constexpr uint32_t kPair = ~TemporalPairOrders::kTiesWithPrevious;
    for (int64_t f = 0; f < orders.features; ++f) {
        const uint32_t *entry = orders.entries.data() + orders.offsets[size_t(f)];
        const uint32_t *end = orders.entries.data() + orders.offsets[size_t(f) + 1];
        RankAccumulator d;
        RankAccumulator c;
        while (entry < end) {
            double dMembers = 0;
            double dOnes = 0;
            double cMembers = 0;
            double cOnes = 0;
            do {
                const uint8_t code = codes[*entry & kPair];
                dMembers += code & 1;
                dOnes += (code >> 1) & 1;
                cMembers += (code >> 2) & 1;
                cOnes += (code >> 3) & 1;
                ++entry;
            } while (entry < end && (*entry & TemporalPairOrders::kTiesWithPrevious));
            d.addGroup(dMembers, dOnes);
            c.addGroup(cMembers, cOnes);
        }
        if (discriminative) {
            discriminative[f] = d.correlation();
        }
        if (categorical) {
            categorical[f] = c.correlation();
        }
    }
}

std::vector<double> seedTemporalScores(const SeedPairTransforms &transforms,
                                       const std::vector<uint8_t> &inTraining,
                                       const std::vector<int64_t> &labels, TemporalRsaModel model)
{
    const int64_t n = transforms.items;
    const int64_t pairs = n * (n - 1) / 2;
    // Which pairs feed the seed's two samples: z(within set 1) against z(between) or z(within
    // set 2).
    std::vector<int8_t> side(size_t(pairs), -1);
    int64_t p = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j, ++p) {
            if (!inTraining[size_t(i)] || !inTraining[size_t(j)]) {
                continue;
            }
            const int64_t a = labels[size_t(i)];
            const int64_t b = labels[size_t(j)];
            if (a == 0 && b == 0) {
                side[size_t(p)] = 0;
            } else if (model == TemporalRsaModel::Discriminative ? a != b : (a == 1 && b == 1)) {
                side[size_t(p)] = 1;
            }
        }
    }
    double valuesInTraining = 0;
    for (int64_t i = 0; i < n; ++i) {
        valuesInTraining += inTraining[size_t(i)] ? double(transforms.positions) : 0.0;
    }
    std::vector<double> t(size_t(transforms.features), 0.0);
    for (int64_t f = 0; f < transforms.features; ++f) {
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
        const double mean = sum / valuesInTraining;
        const double sd = std::sqrt(std::max(0.0, squares / valuesInTraining - mean * mean));
        if (sd < 1e-9 || anyFlat) {
            continue;
        }
        // Student's t with the pooled variance (scipy.stats.ttest_ind, equal_var=True).
        double count[2] = {0, 0};
        double total[2] = {0, 0};
        double totalSquares[2] = {0, 0};
        const double *z = transforms.z.data() + f * pairs;
        for (int64_t q = 0; q < pairs; ++q) {
            const int8_t s = side[size_t(q)];
            if (s < 0 || std::isnan(z[q])) {
                continue;
            }
            const double value = z[q];
            count[s] += 1;
            total[s] += value;
            totalSquares[s] += value * value;
        }
        if (count[0] < 1 || count[1] < 1) {
            continue;
        }
        const double mean0 = total[0] / count[0];
        const double mean1 = total[1] / count[1];
        const double ss0 = std::max(0.0, totalSquares[0] - count[0] * mean0 * mean0);
        const double ss1 = std::max(0.0, totalSquares[1] - count[1] * mean1 * mean1);
        const double pooled = (ss0 + ss1) / (count[0] + count[1] - 2.0);
        const double value =
                (mean0 - mean1) / std::sqrt(pooled * (1.0 / count[0] + 1.0 / count[1]));
        t[size_t(f)] = std::isfinite(value) ? value : 0.0;
    }
    // z-scored over features with the population SD, when it is not ~0.
    double mean = 0;
    for (double value : t) {
        mean += value;
    }
    mean /= double(std::max<size_t>(1, t.size()));
    double spread = 0;
    for (double value : t) {
        spread += (value - mean) * (value - mean);
    }
    const double sd = std::sqrt(spread / double(std::max<size_t>(1, t.size())));
    if (sd > 1e-9) {
        for (double &value : t) {
            value = (value - mean) / sd;
        }
    }
    return t;
}

}  // namespace gyrus::gpu::detail
