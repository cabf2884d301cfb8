#include "gpu/analysis/feature_selection.h"

#include "gpu/analysis/contrasts.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gyrus::gpu {

namespace {

// Item pairs i < j as two index vectors, and whether each pair is between conditions.
struct Pairs
{
    at::Tensor first;
    at::Tensor second;
    at::Tensor between;  // float 0/1
    at::Tensor withinA;
    at::Tensor withinB;
};

Pairs itemPairs(const std::vector<int64_t> &labels)
{
    std::vector<int64_t> first;
    std::vector<int64_t> second;
    std::vector<float> between;
    std::vector<float> withinA;
    std::vector<float> withinB;
    const auto n = static_cast<int64_t>(labels.size());
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            first.push_back(i);
            second.push_back(j);
            const bool differ = labels[size_t(i)] != labels[size_t(j)];
            between.push_back(differ ? 1.f : 0.f);
            withinA.push_back(!differ && labels[size_t(i)] == 0 ? 1.f : 0.f);
            withinB.push_back(!differ && labels[size_t(i)] == 1 ? 1.f : 0.f);
        }
    }
    const auto count = static_cast<int64_t>(first.size());
    auto toTensor = [count](auto &values, at::ScalarType type) {
        return at::from_blob(values.data(), {count}, type).clone();
    };
    return {toTensor(first, at::kLong), toTensor(second, at::kLong), toTensor(between, at::kFloat),
            toTensor(withinA, at::kFloat), toTensor(withinB, at::kFloat)};
}

}  // namespace

QString selectionMethodName(SelectionMethod method)
{
    switch (method) {
        case SelectionMethod::MaxActivation:
            return QStringLiteral("max-activation");
        case SelectionMethod::Univariate:
            return QStringLiteral("univariate");
        case SelectionMethod::DiscriminativeRsa:
            return QStringLiteral("discriminative-rsa");
        case SelectionMethod::CategoricalRsa:
            return QStringLiteral("categorical-rsa");
    }
    return QString();
}

std::optional<SelectionMethod> selectionMethodFromName(const QString &name)
{
    for (SelectionMethod m :
         {SelectionMethod::MaxActivation, SelectionMethod::Univariate,
          SelectionMethod::DiscriminativeRsa, SelectionMethod::CategoricalRsa}) {
        if (selectionMethodName(m) == name) {
            return m;
        }
    }
    return std::nullopt;
}

Result<std::vector<double>> featureScores(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                          SelectionMethod method)
{
    if (!x.hasConsistentSize() || x.rows != static_cast<int64_t>(labels.size())) {
        return Status::invalidInput(
                QStringLiteral("%1 items but %2 labels").arg(x.rows).arg(labels.size()));
    }
    const auto countA = std::count(labels.begin(), labels.end(), 0);
    const auto countB = std::count(labels.begin(), labels.end(), 1);
    if (countA + countB != static_cast<long>(labels.size()) || countA < 2 || countB < 2) {
        return Status::invalidInput(
                QStringLiteral(
                        "labels must be 0 or 1 with at least two items each (got %1 and %2 of %3)")
                        .arg(countA)
                        .arg(countB)
                        .arg(labels.size()));
    }
    if (method == SelectionMethod::Univariate || method == SelectionMethod::MaxActivation) {
        Result<ContrastResult> contrast = twoGroupContrast(x, labels, 0, 1);
        if (!contrast) {
            return contrast.status();
        }
        const std::vector<double> &source =
                method == SelectionMethod::Univariate ? contrast->t : contrast->meanDiff;
        std::vector<double> scores(source.size());
        std::transform(source.begin(), source.end(), scores.begin(),
                       [](double v) { return std::abs(v); });
        return scores;
    }

    c10::InferenceMode guard;
    const at::Tensor data =
            at::from_blob(const_cast<float *>(x.values.data()), {x.rows, x.cols}, at::kFloat)
                    .to(at::kDouble);
    const Pairs pairs = itemPairs(labels);
    const at::Tensor between = pairs.between.to(at::kDouble).unsqueeze(1);
    std::vector<double> scores(static_cast<size_t>(x.cols), 0.0);
    // Features in chunks so the pair × feature distance matrix stays under ~64 M values.
    const int64_t pairCount = pairs.first.size(0);
    const int64_t chunk =
            std::max<int64_t>(1, (int64_t(1) << 26) / std::max<int64_t>(1, pairCount));
    for (int64_t begin = 0; begin < x.cols; begin += chunk) {
        const int64_t width = std::min(chunk, x.cols - begin);
        const at::Tensor block = data.narrow(1, begin, width);
        const at::Tensor d =
                (block.index_select(0, pairs.first) - block.index_select(0, pairs.second)).abs();
        at::Tensor score;
        if (method == SelectionMethod::DiscriminativeRsa) {
            const at::Tensor dc = d - d.mean(0, true);
            const at::Tensor mc = between - between.mean();
            const at::Tensor denominator = (dc.pow(2).sum(0) * mc.pow(2).sum()).sqrt();
            score = at::where(denominator > 0, (dc * mc).sum(0) / denominator,
                              at::zeros_like(denominator));
        } else {
            auto meanOver = [&](const at::Tensor &mask) {
                return (d * mask.to(at::kDouble).unsqueeze(1)).sum(0) / mask.sum().item<double>();
            };
            const at::Tensor within = pairs.withinA.to(at::kDouble).unsqueeze(1) +
                                      pairs.withinB.to(at::kDouble).unsqueeze(1);
            const double nBetween = pairs.between.sum().item<double>();
            const double nWithin = pairCount - nBetween;
            const at::Tensor meanBetween = meanOver(pairs.between);
            const at::Tensor meanWithin = 0.5 * (meanOver(pairs.withinA) + meanOver(pairs.withinB));
            const at::Tensor varBetween =
                    ((d - meanBetween).pow(2) * between).sum(0) / (nBetween - 1);
            const at::Tensor allWithinMean = (d * within).sum(0) / nWithin;
            const at::Tensor varWithin =
                    ((d - allWithinMean).pow(2) * within).sum(0) / (nWithin - 1);
            const at::Tensor pooled = (((nBetween - 1) * varBetween + (nWithin - 1) * varWithin) /
                                       (nBetween + nWithin - 2))
                                              .sqrt();
            score = at::where(pooled > 0, (meanBetween - meanWithin) / pooled,
                              at::zeros_like(pooled));
        }
        const at::Tensor cpu = score.contiguous();
        std::copy(cpu.data_ptr<double>(), cpu.data_ptr<double>() + width, scores.begin() + begin);
    }
    return scores;
}

std::vector<int64_t> topFeatures(const std::vector<double> &scores, int64_t k)
{
    std::vector<int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    const auto count = std::min<int64_t>(k, static_cast<int64_t>(order.size()));
    std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](int64_t a, int64_t b) {
        const double sa = std::isfinite(scores[size_t(a)]) ? scores[size_t(a)] : -INFINITY;
        const double sb = std::isfinite(scores[size_t(b)]) ? scores[size_t(b)] : -INFINITY;
        return sa != sb ? sa > sb : a < b;
    });
    order.resize(size_t(count));
    return order;
}

}  // namespace gyrus::gpu
