#include "gpu/model/precision_cost.h"

#include "gpu/model/language_model.h"

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

double relativeError(const FloatTensor &a, const FloatTensor &reference)
{
    double diff = 0.0;
    double norm = 0.0;
    for (size_t i = 0; i < reference.values.size(); ++i) {
        const double r = reference.values[i];
        const double d = double(a.values[i]) - r;
        diff += d * d;
        norm += r * r;
    }
    return norm > 0 ? std::sqrt(diff / norm) : 0.0;
}

}  // namespace

Result<PrecisionCost> measurePrecisionCost(const QString &hfDir, Dtype dtype, int tokens)
{
    LoadOptions fp32Options;
    fp32Options.dtype = Dtype::Float32;
    auto fp32 = LanguageModel::load(hfDir, fp32Options);
    if (!fp32) {
        return fp32.status();
    }
    LoadOptions reducedOptions;
    reducedOptions.dtype = dtype;
    auto reduced = LanguageModel::load(hfDir, reducedOptions);
    if (!reduced) {
        return reduced.status();
    }
    const ModelInfo info = fp32.value()->info();
    const int count =
            std::max(2, std::min(tokens, info.maxPositions > 0 ? info.maxPositions : tokens));
    std::vector<int> ids;
    for (int i = 0; i < count; ++i) {
        ids.push_back(int((qint64(i) * 7919 + 13) % std::max(1, info.vocabSize - 3) + 3));
    }
    ForwardOptions options;
    const int step = std::max(1, info.layers / 4);
    std::vector<int> layers;
    for (int l = step - 1; l < info.layers; l += step) {
        layers.push_back(l);
    }
    if (layers.empty() || layers.back() != info.layers - 1) {
        layers.push_back(info.layers - 1);
    }
    for (const int l : layers) {
        options.captures << QStringLiteral("blocks.%1.hook_resid_post").arg(l);
    }
    Result<ForwardOutput> a = fp32.value()->forward(ids, options);
    if (!a) {
        return a.status();
    }
    Result<ForwardOutput> b = reduced.value()->forward(ids, options);
    if (!b) {
        return b.status();
    }
    PrecisionCost cost;
    cost.dtype = reduced.value()->info().dtype;
    cost.tokens = count;
    for (const int l : layers) {
        const QString name = QStringLiteral("blocks.%1.hook_resid_post").arg(l);
        cost.residualRelativeError.emplace_back(
                l, relativeError(b->activations.at(name), a->activations.at(name)));
    }
    cost.logitRelativeError = relativeError(b->logits, a->logits);
    const int64_t vocab = a->logits.shape.back();
    int agree = 0;
    for (int t = 0; t < count; ++t) {
        const float *ra = a->logits.values.data() + t * vocab;
        const float *rb = b->logits.values.data() + t * vocab;
        for (int64_t v = 0; v < vocab; ++v) {
            cost.logitMaxAbsError =
                    std::max(cost.logitMaxAbsError, double(std::abs(ra[v] - rb[v])));
        }
        agree += std::max_element(ra, ra + vocab) - ra == std::max_element(rb, rb + vocab) - rb;
    }
    cost.top1Agreement = double(agree) / count;
    return cost;
}

}  // namespace gyrus::gpu
