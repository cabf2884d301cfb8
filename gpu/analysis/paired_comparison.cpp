#include "gpu/analysis/paired_comparison.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus::gpu {

namespace {

// Per item: how often (over the repeats) its out-of-fold prediction was right.
std::vector<double> itemCorrectness(const MethodScore &score, const std::vector<int64_t> &labels)
{
    std::vector<double> correct(labels.size(), 0.0);
    for (const std::vector<double> &probability : score.repeatProbabilities) {
        for (size_t i = 0; i < labels.size(); ++i) {
            correct[i] += (probability[i] >= 0.5) == (labels[i] == 1) ? 1.0 : 0.0;
        }
    }
    for (double &value : correct) {
        value /= double(score.repeatProbabilities.size());
    }
    return correct;
}

double quantile(std::vector<double> values, double q)
{
    std::sort(values.begin(), values.end());
    const double position = q * double(values.size() - 1);
    const auto lower = size_t(std::floor(position));
    const auto upper = std::min(values.size() - 1, lower + 1);
    return values[lower] + (position - double(lower)) * (values[upper] - values[lower]);
}

}  // namespace

Result<PairedDifference> pairedDifference(const MethodScore &a, const MethodScore &b,
                                          const std::vector<int64_t> &labels,
                                          const PairedOptions &options)
{
    const size_t n = labels.size();
    auto fits = [&](const MethodScore &score) {
        if (score.repeatProbabilities.empty()) {
            return false;
        }
        for (const std::vector<double> &probability : score.repeatProbabilities) {
            if (probability.size() != n) {
                return false;
            }
        }
        return true;
    };
    if (!fits(a) || !fits(b) || a.repeatProbabilities.size() != b.repeatProbabilities.size()) {
        return Status::invalidInput(QStringLiteral("a paired difference needs both methods' "
                                                   "predictions for the same %1 items over "
                                                   "the same repeats")
                                            .arg(n));
    }
    if (options.bootstrap < 1 || options.signFlips < 1 || !(options.confidence > 0) ||
        !(options.confidence < 1)) {
        return Status::invalidInput(
                QStringLiteral("bootstrap and sign flips ≥ 1, 0 < confidence < 1"));
    }
    std::vector<int64_t> members[2];
    for (size_t i = 0; i < n; ++i) {
        if (labels[i] != 0 && labels[i] != 1) {
            return Status::invalidInput(QStringLiteral("labels must be 0 or 1"));
        }
        members[labels[i]].push_back(int64_t(i));
    }
    if (members[0].empty() || members[1].empty()) {
        return Status::invalidInput(QStringLiteral("both conditions need items"));
    }
    const std::vector<double> correctA = itemCorrectness(a, labels);
    const std::vector<double> correctB = itemCorrectness(b, labels);
    PairedDifference out;
    out.items = int(n);
    // Weighted per-item differences: their sum is the difference in balanced accuracy.
    std::vector<double> weighted(n);
    for (size_t i = 0; i < n; ++i) {
        const double delta = correctA[i] - correctB[i];
        weighted[i] = delta * 0.5 / double(members[labels[i]].size());
        out.itemsBetterA += delta > 0 ? 1 : 0;
        out.itemsBetterB += delta < 0 ? 1 : 0;
    }
    out.difference = std::accumulate(weighted.begin(), weighted.end(), 0.0);

    std::mt19937_64 rng(options.seed);
    std::vector<double> resampled(size_t(options.bootstrap));
    for (double &value : resampled) {
        double sum = 0;
        for (const std::vector<int64_t> &group : members) {
            std::uniform_int_distribution<size_t> pick(0, group.size() - 1);
            for (size_t draw = 0; draw < group.size(); ++draw) {
                sum += weighted[size_t(group[pick(rng)])];
            }
        }
        value = sum;
    }
    const double tail = 0.5 * (1.0 - options.confidence);
    out.low = quantile(resampled, tail);
    out.high = quantile(resampled, 1.0 - tail);

    // Sign flips; a small tolerance keeps flips that only reorder the sum from counting as less.
    const double observed = std::abs(out.difference) - 1e-12;
    std::bernoulli_distribution coin(0.5);
    int atLeast = 0;
    for (int flip = 0; flip < options.signFlips; ++flip) {
        double sum = 0;
        for (double value : weighted) {
            sum += coin(rng) ? value : -value;
        }
        atLeast += std::abs(sum) >= observed ? 1 : 0;
    }
    out.p = double(1 + atLeast) / double(1 + options.signFlips);
    return out;
}

std::vector<double> holmAdjusted(const std::vector<double> &p)
{
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
    std::vector<double> adjusted(p.size());
    double running = 0;
    for (size_t rank = 0; rank < order.size(); ++rank) {
        running = std::max(running, std::min(1.0, double(p.size() - rank) * p[order[rank]]));
        adjusted[order[rank]] = running;
    }
    return adjusted;
}

}  // namespace gyrus::gpu
