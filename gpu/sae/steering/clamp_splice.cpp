#include "gpu/sae/steering/clamp_splice.h"

#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

Status validateClampSet(const ClampSet &set, int64_t dSae)
{
    const QString name = set.name.isEmpty() ? QStringLiteral("clamp set")
                                            : QStringLiteral("clamp set '%1'").arg(set.name);
    for (const FeatureClamp &clamp : set.clamps) {
        if (!clamp.enabled) {
            continue;
        }
        if (clamp.feature < 0 || clamp.feature >= dSae) {
            return Status::invalidInput(
                    QStringLiteral("%1: feature %2 is outside the SAE's %3 features (0..%4)")
                            .arg(name)
                            .arg(clamp.feature)
                            .arg(dSae)
                            .arg(dSae - 1));
        }
        if (!std::isfinite(clamp.value)) {
            return Status::invalidInput(
                    QStringLiteral("%1: feature %2 has a value that is not a finite number")
                            .arg(name)
                            .arg(clamp.feature));
        }
    }
    return Status::ok();
}

namespace detail {

namespace {

/// 1 where `clamp` edits a position, else 0 ([tokens] float32).
at::Tensor positionMask(const at::Tensor &positions, ClampPositions which, const ClampScope &scope)
{
    at::Tensor mask = positions.ge(scope.firstEditable);
    if (which == ClampPositions::Prompt) {
        mask = mask.logical_and(positions.lt(scope.promptLength));
    } else if (which == ClampPositions::Generated) {
        mask = mask.logical_and(positions.ge(scope.promptLength));
    }
    return mask.to(at::kFloat);
}

}  // namespace

HookFn clampSpliceHook(std::shared_ptr<const SaeModule> sae, const ClampSet &set,
                       const ClampScope &scope)
{
    QList<FeatureClamp> clamps;
    for (const FeatureClamp &clamp : set.clamps) {
        if (clamp.enabled) {
            clamps.append(clamp);
        }
    }
    return [sae = std::move(sae), clamps, scope](const at::Tensor &x,
                                                 const HookContext &context) -> at::Tensor {
        const SaeWeights &weights = sae->weights();
        const at::Device device = weights.wDec.device();
        const int64_t batch = x.size(0);
        const int64_t tokens = x.size(1);
        const int64_t width = x.size(2);
        const at::Tensor positions = context.positions.to(device);
        // Per clamp, which of the rows [batch·tokens] it edits; skip the call when none.
        std::vector<at::Tensor> masks;
        bool any = false;
        // The features whose current value an edit reads (clamp and scale), each once: only
        // their encoder columns are computed, not all d_sae (262k) of them.
        std::vector<int64_t> read;
        for (const FeatureClamp &clamp : clamps) {
            at::Tensor mask = positionMask(positions, clamp.positions, scope);
            const bool edits = mask.any().item<bool>();
            any = any || edits;
            if (edits && clamp.mode != ClampMode::Add &&
                std::find(read.begin(), read.end(), int64_t(clamp.feature)) == read.end()) {
                read.push_back(clamp.feature);
            }
            masks.push_back(edits ? mask.unsqueeze(0).expand({batch, tokens}).reshape({-1})
                                  : at::Tensor());
        }
        if (!any) {
            return at::Tensor();
        }
        const at::Tensor flat = x.reshape({-1, width}).to(device, at::kFloat);
        const at::Tensor readValues = read.empty() ? at::Tensor() : sae->encodeFeatures(flat, read);
        const auto currentOf = [&](int feature) {
            const auto column =
                    std::find(read.begin(), read.end(), int64_t(feature)) - read.begin();
            return readValues.select(1, column);
        };
        // Σ_j coefficient_j ⊗ W_dec[j]: exactly zero for an edit that changes nothing.
        at::Tensor delta = at::zeros_like(flat);
        for (size_t i = 0; i < masks.size(); ++i) {
            if (!masks[i].defined()) {
                continue;
            }
            const FeatureClamp &clamp = clamps.at(static_cast<int>(i));
            const auto value = static_cast<float>(clamp.value);
            at::Tensor coefficient;
            switch (clamp.mode) {
                case ClampMode::Clamp: {
                    const at::Tensor current = currentOf(clamp.feature);
                    coefficient = at::full_like(current, value) - current;
                    break;
                }
                case ClampMode::Scale: {
                    const at::Tensor current = currentOf(clamp.feature);
                    coefficient = current * value - current;
                    break;
                }
                case ClampMode::Add:
                    coefficient = at::full({flat.size(0)}, value, flat.options());
                    break;
            }
            delta.add_((coefficient * masks[i]).unsqueeze(1) *
                       weights.wDec.select(0, clamp.feature).unsqueeze(0));
        }
        // An SAE that normalises its input per token edits in its own units: scale the edit to
        // the model's (a no-op for SAEs that take raw activations).
        if (const at::Tensor scale = sae->outputScale(flat); scale.defined()) {
            delta.mul_(scale);
        }
        return x + delta.view({batch, tokens, width}).to(x.device(), x.scalar_type());
    };
}

Status addClampSplice(HookSet &hooks, const HookLayout &layout,
                      const std::shared_ptr<const SaeModule> &sae, const ClampSet &set,
                      const ClampScope &scope)
{
    if (set.isEmpty()) {
        return Status::ok();
    }
    if (!sae) {
        return Status::invalidInput(
                QStringLiteral("the clamp set edits SAE features but no SAE is loaded: load one"));
    }
    if (Status valid = validateClampSet(set, sae->config().dSae); !valid.isOk()) {
        return valid;
    }
    const QString hookName = sae->config().hookName;
    const std::optional<HookPoint> point = HookPoint::parse(hookName, layout);
    if (!point) {
        return Status::invalidInput(
                QStringLiteral("the SAE's hook '%1' is not a hook point of the model")
                        .arg(hookName));
    }
    hooks.add(*point, clampSpliceHook(sae, set, scope));
    return Status::ok();
}

}  // namespace detail

}  // namespace gyrus::gpu
