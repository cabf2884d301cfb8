#include "gpu/analysis/feature_set_rsa.h"

#include "gpu/analysis/feature_selection.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gyrus::gpu {

int featureSetCandidateCount(int64_t k, int64_t features)
{
    return int(std::min<int64_t>(features, std::max<int64_t>(32, 4 * k)));
}

FeatureSetSelection featureSetRsa(const std::vector<double> &x, int64_t cols,
                                  const std::vector<int64_t> &rows,
                                  const std::vector<int64_t> &labels,
                                  const std::vector<int64_t> &candidates, int64_t k)
{
    const size_t n = rows.size();
    const size_t m = candidates.size();
    // Standardised candidate columns over the rows: [candidate, row].
    std::vector<double> z(m * n, 0.0);
    for (size_t c = 0; c < m; ++c) {
        double mean = 0;
        for (size_t r = 0; r < n; ++r) {
            mean += x[size_t(rows[r] * cols + candidates[c])];
        }
        mean /= double(n);
        double spread = 0;
        for (size_t r = 0; r < n; ++r) {
            const double centred = x[size_t(rows[r] * cols + candidates[c])] - mean;
            spread += centred * centred;
        }
        const double sd = std::sqrt(spread / double(std::max<size_t>(1, n - 1)));
        for (size_t r = 0; sd > 0 && r < n; ++r) {
            z[c * n + r] = (x[size_t(rows[r] * cols + candidates[c])] - mean) / sd;
        }
    }
    std::vector<uint32_t> first;
    std::vector<uint32_t> second;
    std::vector<uint8_t> between;
    for (size_t a = 0; a < n; ++a) {
        for (size_t b = a + 1; b < n; ++b) {
            first.push_back(uint32_t(a));
            second.push_back(uint32_t(b));
            between.push_back(labels[size_t(rows[a])] != labels[size_t(rows[b])] ? 1 : 0);
        }
    }
    const size_t pairs = first.size();
    double ones = 0;
    for (uint8_t value : between) {
        ones += value;
    }
    const double modelSpread = ones - ones * ones / double(std::max<size_t>(1, pairs));
    std::vector<double> squared(pairs, 0.0);  // the set's squared distances so far
    double squaredTotal = 0;
    std::vector<uint8_t> taken(m, 0);
    FeatureSetSelection selection;
    for (int64_t step = 0; step < k && step < int64_t(m); ++step) {
        double best = -std::numeric_limits<double>::infinity();
        size_t bestCandidate = m;
        for (size_t c = 0; c < m; ++c) {
            if (taken[c]) {
                continue;
            }
            const double *column = z.data() + c * n;
            double sum = 0;
            double sumBetween = 0;
            double added = 0;
            for (size_t p = 0; p < pairs; ++p) {
                const double difference = column[first[p]] - column[second[p]];
                const double d2 = difference * difference;
                added += d2;
                const double d = std::sqrt(squared[p] + d2);
                sum += d;
                sumBetween += between[p] ? d : 0.0;
            }
            // Σ d² needs no square root: the squared distances add up.
            const double spread = squaredTotal + added - sum * sum / double(pairs);
            const double covariance = sumBetween - sum * ones / double(pairs);
            const double r = spread > 0 && modelSpread > 0
                                     ? covariance / std::sqrt(spread * modelSpread)
                                     : -std::numeric_limits<double>::infinity();
            if (r > best || bestCandidate == m) {
                best = r;
                bestCandidate = c;
            }
        }
        taken[bestCandidate] = 1;
        const double *column = z.data() + bestCandidate * n;
        for (size_t p = 0; p < pairs; ++p) {
            const double difference = column[first[p]] - column[second[p]];
            squared[p] += difference * difference;
            squaredTotal += difference * difference;
        }
        selection.features.push_back(candidates[bestCandidate]);
        selection.setScores.push_back(std::isfinite(best) ? best : 0.0);
    }
    return selection;
}

Result<FeatureSetSelection> featureSetRsaSelection(const FloatMatrix &x,
                                                   const std::vector<int64_t> &labels, int64_t k)
{
    Result<std::vector<double>> single =
            featureScores(x, labels, SelectionMethod::PooledSeparationR);
    if (!single) {
        return single.status();
    }
    if (k < 1) {
        return Status::invalidInput(QStringLiteral("feature-set RSA needs k ≥ 1"));
    }
    const std::vector<int64_t> candidates =
            topFeatures(single.value(), featureSetCandidateCount(k, x.cols));
    std::vector<int64_t> rows(size_t(x.rows));
    for (int64_t i = 0; i < x.rows; ++i) {
        rows[size_t(i)] = i;
    }
    const std::vector<double> values(x.values.begin(), x.values.end());
    return featureSetRsa(values, x.cols, rows, labels, candidates, k);
}

}  // namespace gyrus::gpu
