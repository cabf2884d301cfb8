#include "gpu/analysis/temporal_rsa.h"

#include "gpu/analysis/analysis_tensors.h"
#include "gpu/analysis/temporal_selection.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

// A time course whose variance over a pair's common positions is below this share of its sum of
// squares there (taken about the item's own mean) counts as constant: centring a constant
// pattern leaves a rounding residue of about 1e-16 of that sum, while a float32 pattern that
// varies at all varies by at least one ulp (about 1e-7 relative).
constexpr double kConstantTolerance = 1e-12;

Status checkFiniteValues(const TemporalTable &table)
{
    for (size_t k = 0; k < table.values.size(); ++k) {
        if (!std::isfinite(table.values[k])) {
            const auto index = int64_t(k);
            const int64_t item = index / (table.positions * table.features);
            const int64_t position = (index / table.features) % table.positions;
            return Status::invalidInput(
                    QStringLiteral("temporal table: item %1, position %2, feature %3 is %4 (not "
                                   "finite)")
                            .arg(item)
                            .arg(position)
                            .arg(index % table.features)
                            .arg(double(table.values[k])));
        }
    }
    return Status::ok();
}

Status checkTable(const TemporalTable &table, const TemporalRsaOptions &options)
{
    if (!table.hasConsistentSize() || table.items == 0 || table.positions == 0) {
        return Status::invalidInput(
                QStringLiteral("temporal table is empty or inconsistent (%1 items × %2 positions "
                               "× %3 features, %4 values, %5 mask entries)")
                        .arg(table.items)
                        .arg(table.positions)
                        .arg(table.features)
                        .arg(table.values.size())
                        .arg(table.mask.size()));
    }
    if (options.minPositions < 3 || options.batchFeatures < 1) {
        return Status::invalidInput(
                QStringLiteral("temporal RSA needs at least 3 common positions per pair"));
    }
    return checkFiniteValues(table);
}

Status checkLabels(const TemporalTable &table, const std::vector<int64_t> &labels)
{
    if (int64_t(labels.size()) != table.items) {
        return Status::invalidInput(
                QStringLiteral("%1 items but %2 labels").arg(table.items).arg(labels.size()));
    }
    const auto countA = std::count(labels.begin(), labels.end(), 0);
    const auto countB = std::count(labels.begin(), labels.end(), 1);
    if (countA + countB != long(labels.size()) || countA < 2 || countB < 2) {
        return Status::invalidInput(
                QStringLiteral(
                        "labels must be 0 or 1 with at least two items each (got %1 and %2 of %3)")
                        .arg(countA)
                        .arg(countB)
                        .arg(labels.size()));
    }
    return Status::ok();
}

// Average ranks (1-based) along dim 1 of `sorted` (ascending): equal values share the mean of
// the ranks they span.
at::Tensor averageRanks(const at::Tensor &sorted)
{
    const int64_t count = sorted.size(1);
    const at::Tensor position =
            at::arange(count, sorted.options().dtype(at::kLong)).unsqueeze(0).expand_as(sorted);
    const at::Tensor differs = sorted.narrow(1, 1, count - 1) != sorted.narrow(1, 0, count - 1);
    const at::Tensor yes = at::ones({sorted.size(0), 1}, differs.options());
    const at::Tensor startsGroup = at::cat({yes, differs}, 1);
    const at::Tensor endsGroup = at::cat({differs, yes}, 1);
    const at::Tensor start =
            std::get<0>(at::where(startsGroup, position, at::zeros_like(position)).cummax(1));
    const at::Tensor end =
            std::get<0>(at::where(endsGroup, position, at::full_like(position, count))
                                .flip(1)
                                .cummin(1))
                    .flip(1);
    return (start + end).to(sorted.scalar_type()) * 0.5 + 1.0;
}

// What the rank correlation needs of one feature's RDM: the pairs' layout and the model.
struct PairLayout
{
    std::vector<int64_t> first;
    std::vector<int64_t> second;
    std::vector<double> common;     // positions both items have
    std::vector<uint8_t> included;  // considered by the model and with enough common positions
    std::vector<uint8_t> model;     // the model RDM's value (0 or 1)
};

struct FeatureScore
{
    double score = 0.0;
    int64_t pairs = 0;
};

// One feature on the CPU, fused: the same formulas as the tensor path below, element for
// element, then one sort of the defined distances and one walk over their tie groups.
FeatureScore scoreOnCpu(const PairLayout &layout, int64_t n, const double *products,
                        const double *sums, const double *squares,
                        std::vector<std::pair<double, uint8_t>> &entries)
{
    entries.clear();
    for (size_t p = 0; p < layout.first.size(); ++p) {
        if (!layout.included[p]) {
            continue;
        }
        const int64_t i = layout.first[p];
        const int64_t j = layout.second[p];
        const double common = layout.common[p];
        const double sumI = sums[i * n + j];
        const double sumJ = sums[j * n + i];
        const double varianceI = squares[i * n + j] - sumI * sumI / common;
        const double varianceJ = squares[j * n + i] - sumJ * sumJ / common;
        if (!(varianceI > squares[i * n + j] * kConstantTolerance &&
              varianceJ > squares[j * n + i] * kConstantTolerance)) {
            continue;
        }
        const double covariance = products[i * n + j] - sumI * sumJ / common;
        const double r = std::clamp(
                covariance / std::sqrt(std::max(varianceI, 1e-300) * std::max(varianceJ, 1e-300)),
                -1.0, 1.0);
        entries.emplace_back(std::nearbyint((1.0 - r) * 1e12) / 1e12, layout.model[p]);
    }
    std::sort(entries.begin(), entries.end());
    double rankSum = 0;
    double rankSquares = 0;
    double rankOnModel = 0;
    double countOne = 0;
    for (size_t begin = 0; begin < entries.size();) {
        size_t end = begin + 1;
        while (end < entries.size() && entries[end].first == entries[begin].first) {
            ++end;
        }
        const double rank = 0.5 * double(begin + end - 1) + 1.0;  // average of the tie group
        for (size_t k = begin; k < end; ++k) {
            rankSum += rank;
            rankSquares += rank * rank;
            rankOnModel += rank * entries[k].second;
            countOne += entries[k].second;
        }
        begin = end;
    }
    const double count = std::max(1.0, double(entries.size()));
    const double rankSpread = rankSquares - rankSum * rankSum / count;
    const double modelSpread = countOne - countOne * countOne / count;
    const double covariance = rankOnModel - countOne * rankSum / count;
    FeatureScore out;
    out.pairs = int64_t(entries.size());
    if (rankSpread > 0 && modelSpread > 0) {
        out.score = covariance / std::sqrt(rankSpread * modelSpread);
    }
    return out;
}

}  // namespace

FloatMatrix TemporalTable::pooledMean() const
{
    FloatMatrix out{items, features, std::vector<float>(size_t(items * features), 0.f)};
    for (int64_t i = 0; i < items; ++i) {
        std::vector<double> sum(size_t(features), 0.0);
        int64_t count = 0;
        for (int64_t t = 0; t < positions; ++t) {
            if (!mask[size_t(i * positions + t)]) {
                continue;
            }
            ++count;
            const float *row = values.data() + (i * positions + t) * features;
            for (int64_t f = 0; f < features; ++f) {
                sum[size_t(f)] += row[f];
            }
        }
        for (int64_t f = 0; count > 0 && f < features; ++f) {
            out.values[size_t(i * features + f)] = float(sum[size_t(f)] / double(count));
        }
    }
    return out;
}

Result<TemporalRsaScores> temporalRsaScores(const TemporalTable &table,
                                            const std::vector<int64_t> &labels,
                                            TemporalRsaModel model,
                                            const TemporalRsaOptions &options)
{
    if (Status valid = checkTable(table, options); !valid.isOk()) {
        return valid;
    }
    if (Status valid = checkLabels(table, labels); !valid.isOk()) {
        return valid;
    }
    c10::InferenceMode guard;
    const at::Device device = detail::analysisDevice();
    const auto doubles = at::TensorOptions().dtype(at::kDouble).device(device);
    const int64_t n = table.items;
    TemporalRsaScores result;
    result.scores.assign(size_t(table.features), 0.0);
    result.pairsUsed.assign(size_t(table.features), 0);

    at::Tensor mask =
            at::from_blob(const_cast<uint8_t *>(table.mask.data()), {n, table.positions}, at::kByte)
                    .to(doubles);
    const at::Tensor lengths = mask.sum(1);
    const at::Tensor tooShort = (lengths < double(options.minPositions)).to(at::kCPU);
    for (int64_t i = 0; i < n; ++i) {
        if (tooShort[i].item<bool>()) {
            result.notes << QStringLiteral("item %1 left out: %2 positions, fewer than %3")
                                    .arg(i)
                                    .arg(lengths[i].item<double>())
                                    .arg(options.minPositions);
        }
    }

    // The item pairs i < j and what the model says of each.
    const at::Tensor pairIndex = at::triu_indices(n, n, 1, at::TensorOptions().dtype(at::kLong));
    const at::Tensor first = pairIndex[0].to(device);
    const at::Tensor second = pairIndex[1].to(device);
    const at::Tensor label = at::tensor(labels, at::TensorOptions().dtype(at::kLong)).to(device);
    const at::Tensor labelFirst = label.index_select(0, first);
    const at::Tensor labelSecond = label.index_select(0, second);
    const at::Tensor between = labelFirst != labelSecond;
    at::Tensor considered;
    at::Tensor modelValue;
    if (model == TemporalRsaModel::Discriminative) {
        considered = at::ones_like(between);
        modelValue = between.to(at::kDouble);
    } else {
        considered = at::logical_not(between);
        modelValue = at::logical_and(considered, labelFirst == 1).to(at::kDouble);
    }
    const at::Tensor common = mask.matmul(mask.t());  // positions two items share
    const at::Tensor forward = first * n + second;    // (i, j) in a flattened [n, n]
    const at::Tensor backward = second * n + first;   // (j, i)
    const at::Tensor pairCommon = common.flatten().index_select(0, forward);
    considered = at::logical_and(considered, pairCommon >= double(options.minPositions));

    // The CPU path scores each feature in one fused pass (sorting a feature's distances is
    // the cost that remains); elsewhere, or when asked, everything stays batched tensor maths.
    const bool fused = device.is_cpu() && !options.tensorRanks;
    PairLayout layout;
    if (fused) {
        auto copy = [](const at::Tensor &t, auto *out) {
            using Value = typename std::remove_pointer_t<decltype(out)>::value_type;
            const at::Tensor host = t.to(at::kCPU).contiguous();
            if constexpr (std::is_same_v<Value, uint8_t>) {
                const at::Tensor bytes = host.to(at::kByte);
                out->assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
            } else {
                const at::Tensor typed = host.to(c10::CppTypeToScalarType<Value>::value);
                out->assign(typed.data_ptr<Value>(), typed.data_ptr<Value>() + typed.numel());
            }
        };
        copy(first, &layout.first);
        copy(second, &layout.second);
        copy(pairCommon, &layout.common);
        copy(considered, &layout.included);
        copy(modelValue, &layout.model);
    }
    const at::Tensor values = at::from_blob(const_cast<float *>(table.values.data()),
                                            {n, table.positions, table.features}, at::kFloat);
    const at::Tensor lengthsSafe = lengths.clamp_min(1.0).view({1, n, 1});
    const at::Tensor maskT = mask.t();
    for (int64_t begin = 0; begin < table.features; begin += options.batchFeatures) {
        const int64_t width = std::min(options.batchFeatures, table.features - begin);
        // [features, items, positions]
        const at::Tensor x = values.narrow(2, begin, width).permute({2, 0, 1}).to(doubles);
        const at::Tensor masked = x * mask;
        // Each item's time course centred on its own mean first: the pairwise sums below then
        // subtract small numbers, not large ones.
        const at::Tensor centred = (x - masked.sum(2, true) / lengthsSafe) * mask;
        // Over the positions items i and j share: Σ x_i (sums), Σ x_i² (squares), Σ x_i x_j.
        const at::Tensor sums = centred.matmul(maskT).flatten(1);
        const at::Tensor squares = (centred * centred).matmul(maskT).flatten(1);
        const at::Tensor products = centred.matmul(centred.transpose(1, 2)).flatten(1);
        if (fused) {
            const at::Tensor hostProducts = products.contiguous();
            const at::Tensor hostSums = sums.contiguous();
            const at::Tensor hostSquares = squares.contiguous();
            at::parallel_for(0, width, 1, [&](int64_t low, int64_t high) {
                std::vector<std::pair<double, uint8_t>> entries;
                entries.reserve(layout.first.size());
                for (int64_t f = low; f < high; ++f) {
                    const FeatureScore one =
                            scoreOnCpu(layout, n, hostProducts.data_ptr<double>() + f * n * n,
                                       hostSums.data_ptr<double>() + f * n * n,
                                       hostSquares.data_ptr<double>() + f * n * n, entries);
                    result.scores[size_t(begin + f)] = one.score;
                    result.pairsUsed[size_t(begin + f)] = one.pairs;
                }
            });
            continue;
        }
        const at::Tensor sumI = sums.index_select(1, forward);
        const at::Tensor sumJ = sums.index_select(1, backward);
        const at::Tensor covariance = products.index_select(1, forward) - sumI * sumJ / pairCommon;
        const at::Tensor varianceI = squares.index_select(1, forward) - sumI * sumI / pairCommon;
        const at::Tensor varianceJ = squares.index_select(1, backward) - sumJ * sumJ / pairCommon;
        const at::Tensor scaleI = squares.index_select(1, forward) * kConstantTolerance;
        const at::Tensor scaleJ = squares.index_select(1, backward) * kConstantTolerance;
        const at::Tensor defined = at::logical_and(
                considered.unsqueeze(0), at::logical_and(varianceI > scaleI, varianceJ > scaleJ));
        const at::Tensor r =
                (covariance / (varianceI.clamp_min(1e-300) * varianceJ.clamp_min(1e-300)).sqrt())
                        .clamp(-1.0, 1.0);
        const at::Tensor distance = at::round((1.0 - r) * 1e12) / 1e12;
        // Undefined pairs sort last and are left out of every sum below.
        const auto [sorted, order] =
                at::where(defined, distance, at::full_like(distance, INFINITY)).sort(1);
        const at::Tensor valid = defined.gather(1, order).to(at::kDouble);
        const at::Tensor onModel = modelValue.index_select(0, order.flatten()).view_as(order);
        const at::Tensor rank = averageRanks(sorted) * valid;
        const at::Tensor count = valid.sum(1);
        const at::Tensor countOne = (onModel * valid).sum(1);
        const at::Tensor countSafe = count.clamp_min(1.0);
        const at::Tensor rankSum = rank.sum(1);
        const at::Tensor rankSpread = (rank * rank).sum(1) - rankSum * rankSum / countSafe;
        const at::Tensor modelSpread = countOne - countOne * countOne / countSafe;
        const at::Tensor covarianceRank = (rank * onModel).sum(1) - countOne * rankSum / countSafe;
        const at::Tensor ok = at::logical_and(rankSpread > 0, modelSpread > 0);
        const at::Tensor score =
                at::where(ok, covarianceRank / (rankSpread * modelSpread).clamp_min(1e-300).sqrt(),
                          at::zeros_like(rankSpread));
        const std::vector<double> scores = detail::toDoubles(score);
        const std::vector<double> counts = detail::toDoubles(count);
        for (int64_t f = 0; f < width; ++f) {
            result.scores[size_t(begin + f)] = scores[size_t(f)];
            result.pairsUsed[size_t(begin + f)] = int64_t(counts[size_t(f)]);
        }
    }
    return result;
}

namespace detail {

Result<TemporalPairOrders> temporalPairOrders(const TemporalTable &table,
                                              const TemporalRsaOptions &options)
{
    if (Status valid = checkTable(table, options); !valid.isOk()) {
        return valid;
    }
    const int64_t n = table.items;
    if (n * (n - 1) / 2 >= int64_t(TemporalPairOrders::kTiesWithPrevious)) {
        return Status::invalidInput(QStringLiteral("%1 items are too many to pair").arg(n));
    }
    c10::InferenceMode guard;
    const at::Device device = analysisDevice();
    const auto doubles = at::TensorOptions().dtype(at::kDouble).device(device);
    TemporalPairOrders orders;
    orders.items = n;
    orders.features = table.features;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            orders.first.push_back(int32_t(i));
            orders.second.push_back(int32_t(j));
        }
    }
    const auto pairs = int64_t(orders.first.size());
    const at::Tensor mask =
            at::from_blob(const_cast<uint8_t *>(table.mask.data()), {n, table.positions}, at::kByte)
                    .to(doubles);
    const at::Tensor common = mask.matmul(mask.t()).to(at::kCPU).contiguous();
    const double *commonData = common.data_ptr<double>();
    std::vector<uint8_t> enough(size_t(pairs), 0);
    for (int64_t p = 0; p < pairs; ++p) {
        enough[size_t(p)] = commonData[orders.first[size_t(p)] * n + orders.second[size_t(p)]] >=
                            double(options.minPositions);
    }
    const at::Tensor values = at::from_blob(const_cast<float *>(table.values.data()),
                                            {n, table.positions, table.features}, at::kFloat);
    const at::Tensor lengthsSafe = mask.sum(1).clamp_min(1.0).view({1, n, 1});
    const at::Tensor maskT = mask.t();
    std::vector<std::vector<uint32_t>> perFeature(size_t(table.features));
    for (int64_t begin = 0; begin < table.features; begin += options.batchFeatures) {
        const int64_t width = std::min(options.batchFeatures, table.features - begin);
        // The same moments as temporalRsaScores computes, so the distances are the same numbers.
        const at::Tensor x = values.narrow(2, begin, width).permute({2, 0, 1}).to(doubles);
        const at::Tensor masked = x * mask;
        const at::Tensor centred = (x - masked.sum(2, true) / lengthsSafe) * mask;
        const at::Tensor sums = centred.matmul(maskT).flatten(1).to(at::kCPU).contiguous();
        const at::Tensor squares =
                (centred * centred).matmul(maskT).flatten(1).to(at::kCPU).contiguous();
        const at::Tensor products =
                centred.matmul(centred.transpose(1, 2)).flatten(1).to(at::kCPU).contiguous();
        at::parallel_for(0, width, 1, [&](int64_t low, int64_t high) {
            std::vector<std::pair<double, uint32_t>> defined;
            for (int64_t f = low; f < high; ++f) {
                const double *product = products.data_ptr<double>() + f * n * n;
                const double *sum = sums.data_ptr<double>() + f * n * n;
                const double *square = squares.data_ptr<double>() + f * n * n;
                defined.clear();
                for (int64_t p = 0; p < pairs; ++p) {
                    if (!enough[size_t(p)]) {
                        continue;
                    }
                    const int64_t i = orders.first[size_t(p)];
                    const int64_t j = orders.second[size_t(p)];
                    const double count = commonData[i * n + j];
                    const double sumI = sum[i * n + j];
                    const double sumJ = sum[j * n + i];
                    const double varianceI = square[i * n + j] - sumI * sumI / count;
                    const double varianceJ = square[j * n + i] - sumJ * sumJ / count;
                    if (!(varianceI > square[i * n + j] * kConstantTolerance &&
                          varianceJ > square[j * n + i] * kConstantTolerance)) {
                        continue;
                    }
                    const double covariance = product[i * n + j] - sumI * sumJ / count;
                    const double r = std::clamp(covariance / std::sqrt(std::max(varianceI, 1e-300) *
                                                                       std::max(varianceJ, 1e-300)),
                                                -1.0, 1.0);
                    defined.emplace_back(std::nearbyint((1.0 - r) * 1e12) / 1e12, uint32_t(p));
                }
                std::sort(defined.begin(), defined.end());
                std::vector<uint32_t> &out = perFeature[size_t(begin + f)];
                out.reserve(defined.size());
                for (size_t e = 0; e < defined.size(); ++e) {
                    const bool ties = e > 0 && defined[e].first == defined[e - 1].first;
                    out.push_back(defined[e].second |
                                  (ties ? TemporalPairOrders::kTiesWithPrevious : 0u));
                }
            }
        });
    }
    orders.offsets.push_back(0);
    for (std::vector<uint32_t> &sorted : perFeature) {
        orders.entries.insert(orders.entries.end(), sorted.begin(), sorted.end());
        orders.offsets.push_back(int64_t(orders.entries.size()));
        std::vector<uint32_t>().swap(sorted);
    }
    return orders;
}

Result<SeedPairTransforms> seedPairTransforms(const TemporalTable &table)
{
    if (Status valid = checkTable(table, TemporalRsaOptions{}); !valid.isOk()) {
        return valid;
    }
    c10::InferenceMode guard;
    const at::Device device = analysisDevice();
    const auto doubles = at::TensorOptions().dtype(at::kDouble).device(device);
    const int64_t n = table.items;
    SeedPairTransforms out;
    out.items = n;
    out.features = table.features;
    out.positions = table.positions;
    const at::Tensor pairIndex = at::triu_indices(n, n, 1, at::TensorOptions().dtype(at::kLong));
    const at::Tensor forward = (pairIndex[0] * n + pairIndex[1]).to(device);
    const int64_t pairs = forward.size(0);
    out.z.resize(size_t(table.features * pairs));
    out.flat.resize(size_t(table.features * n));
    out.sums.resize(size_t(table.features * n));
    out.squares.resize(size_t(table.features * n));
    const at::Tensor values = at::from_blob(const_cast<float *>(table.values.data()),
                                            {n, table.positions, table.features}, at::kFloat);
    const int64_t batch = 256;
    for (int64_t begin = 0; begin < table.features; begin += batch) {
        const int64_t width = std::min(batch, table.features - begin);
        // np.corrcoef over every position: the seed's windows were never masked.
        const at::Tensor x = values.narrow(2, begin, width).permute({2, 0, 1}).to(doubles);
        const at::Tensor centred = x - x.mean(2, true);
        const at::Tensor products = centred.matmul(centred.transpose(1, 2));
        const at::Tensor scale = products.diagonal(0, 1, 2).sqrt();
        const at::Tensor r = (products / (scale.unsqueeze(2) * scale.unsqueeze(1)))
                                     .flatten(1)
                                     .index_select(1, forward);
        // z = arctanh(1 − clip(r)); not finite for r ≤ 0 (or a NaN r): the seed drops those.
        const at::Tensor z = at::atanh(1.0 - r.clamp(-0.999, 0.999));
        const at::Tensor kept = at::where(r > 0, z, at::full_like(z, NAN));
        const at::Tensor zHost = kept.to(at::kCPU).contiguous();
        std::copy(zHost.data_ptr<double>(), zHost.data_ptr<double>() + zHost.numel(),
                  out.z.begin() + begin * pairs);
        const at::Tensor flat = (x.amax(2) == x.amin(2)).to(at::kByte).to(at::kCPU).contiguous();
        std::copy(flat.data_ptr<uint8_t>(), flat.data_ptr<uint8_t>() + flat.numel(),
                  out.flat.begin() + begin * n);
        const at::Tensor sums = x.sum(2).to(at::kCPU).contiguous();
        const at::Tensor squares = (x * x).sum(2).to(at::kCPU).contiguous();
        std::copy(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel(),
                  out.sums.begin() + begin * n);
        std::copy(squares.data_ptr<double>(), squares.data_ptr<double>() + squares.numel(),
                  out.squares.begin() + begin * n);
    }
    return out;
}

}  // namespace detail

}  // namespace gyrus::gpu
