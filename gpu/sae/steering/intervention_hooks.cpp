#include "gpu/sae/steering/intervention_hooks.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/transformer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <map>
#include <optional>

namespace gyrus::gpu::detail {

namespace {

Status checkHeads(const ModelConfig &config, const QList<HeadAblation> &heads)
{
    for (const HeadAblation &ablation : heads) {
        if (ablation.layer < 0 || ablation.layer >= config.numHiddenLayers || ablation.head < 0 ||
            ablation.head >= config.numAttentionHeads) {
            return Status::invalidInput(
                    QStringLiteral("head %1.%2 is not in the model (layers 0 to %3, heads 0 to %4)")
                            .arg(ablation.layer)
                            .arg(ablation.head)
                            .arg(config.numHiddenLayers - 1)
                            .arg(config.numAttentionHeads - 1));
        }
    }
    return Status::ok();
}

/// Each mean-ablated layer's hook_z averaged over the prompt's editable positions, [heads ·
/// d_head].
std::map<int, at::Tensor> promptMeans(Transformer &net, const QList<HeadAblation> &heads,
                                      const std::vector<int> &promptTokens, int64_t first)
{
    HookSet capture;
    for (const HeadAblation &ablation : heads) {
        if (ablation.mode == HeadAblationMode::Mean) {
            capture.capture(HookPoint{HookSite::AttnZ, ablation.layer});
        }
    }
    std::map<int, at::Tensor> means;
    if (capture.empty()) {
        return means;
    }
    c10::InferenceMode guard;
    const std::vector<int64_t> ids(promptTokens.begin(), promptTokens.end());
    net.forward(at::tensor(ids, at::kLong).view({1, -1}), &capture, nullptr, LogitsMode::None);
    for (const HeadAblation &ablation : heads) {
        if (ablation.mode == HeadAblationMode::Mean && !means.count(ablation.layer)) {
            const at::Tensor z = capture.captured(HookPoint{HookSite::AttnZ, ablation.layer});
            means[ablation.layer] =
                    z.select(0, 0).narrow(0, first, z.size(1) - first).mean(0).clone();
        }
    }
    return means;
}

}  // namespace

Status addInterventions(HookSet &hooks, Transformer &net, const Interventions &interventions,
                        const std::vector<int> &promptTokens, const ClampScope &scope)
{
    if (interventions.isEmpty()) {
        return Status::ok();
    }
    const ModelConfig &config = net.config();
    if (Status ok = checkHeads(config, interventions.heads); !ok.isOk()) {
        return ok;
    }
    const HookLayout layout = hookLayout(config);
    const PositionRange edited{scope.firstEditable, std::numeric_limits<int64_t>::max()};
    std::vector<std::pair<HookPoint, at::Tensor>> vectors;
    for (const SteeringVector &vector : interventions.vectors) {
        const std::optional<HookPoint> point = HookPoint::parse(vector.hook, layout);
        if (!point || point->site == HookSite::FinalNormalized) {
            return Status::invalidInput(
                    QStringLiteral("steering vector '%1': '%2' is not a residual hook of the "
                                   "model; %3")
                            .arg(vector.label, vector.hook, describeHooks(layout)));
        }
        if (static_cast<int>(vector.direction.size()) != config.hiddenSize) {
            return Status::invalidInput(
                    QStringLiteral("steering vector '%1' has %2 values; the model's d_model is %3")
                            .arg(vector.label)
                            .arg(vector.direction.size())
                            .arg(config.hiddenSize));
        }
        const at::Tensor direction =
                at::tensor(std::vector<float>(vector.direction), at::kFloat) * vector.alpha;
        vectors.emplace_back(*point, direction);
    }
    const bool needsMean =
            std::any_of(interventions.heads.begin(), interventions.heads.end(),
                        [](const HeadAblation &a) { return a.mode == HeadAblationMode::Mean; });
    const int64_t promptLength = static_cast<int64_t>(promptTokens.size());
    if (needsMean && scope.firstEditable >= promptLength) {
        return Status::invalidInput(
                QStringLiteral("a mean head ablation needs a prompt token after BOS to average "
                               "over"));
    }
    std::map<int, at::Tensor> means;
    try {
        means = promptMeans(net, interventions.heads, promptTokens, scope.firstEditable);
    } catch (...) {
        return statusFromException(std::current_exception());
    }
    const int64_t headDim = config.headDim();
    for (const HeadAblation &ablation : interventions.heads) {
        at::Tensor mean;
        if (ablation.mode == HeadAblationMode::Mean) {
            mean = means.at(ablation.layer).narrow(0, ablation.head * headDim, headDim);
        }
        const int64_t head = ablation.head;
        hooks.add(
                HookPoint{HookSite::AttnZ, ablation.layer},
                [head, headDim, mean](const at::Tensor &z, const HookContext &) {
                    at::Tensor out = z.clone();
                    at::Tensor slice = out.narrow(-1, head * headDim, headDim);
                    if (mean.defined()) {
                        slice.copy_(mean.to(slice.device(), slice.scalar_type()).expand_as(slice));
                    } else {
                        slice.zero_();
                    }
                    return out;
                },
                edited);
    }
    for (const auto &[point, vector] : vectors) {
        // A structured binding cannot be captured in C++17 (GCC allows it, Clang refuses).
        const at::Tensor direction = vector;
        hooks.add(
                point,
                [direction](const at::Tensor &x, const HookContext &) {
                    return x + direction.to(x.device(), x.scalar_type());
                },
                edited);
    }
    return Status::ok();
}

}  // namespace gyrus::gpu::detail
