#pragma once
// Feature attribution: which SAE features at which positions drive one output of the model.
// Attribution patching with the SAE's error term kept as its own node: at the SAE's hook the
// activation x splits exactly into Σ_i f_i·∂x̂/∂f_i (the features), decode(0) (the decoder bias and
// the input transform's shift) and x − x̂ (the error). One forward with autograd and one backward
// give the gradient g of the target at the hook; then
//   feature i at position t:  f_ti · (g_t · ∂x̂/∂f_i)      error at t:  (x_t − x̂_t) · g_t
//   bias at t:  decode(0)_t · g_t                          total at t:  x_t · g_t
// and the features, errors and biases add up to the total (gradient × input) exactly. The
// engine and `gyrus-cli attribute` call these. Torch-free.
//
// Several SAEs at different hooks (e.g. one per layer) share the one forward and one backward.
// Each is spliced in as its reconstruction plus its own error node, x = x̂ + (x − x̂): the
// forward is the real model's, so a downstream SAE sees the real residual stream, and gradients
// flow through every splice (∂(x̂ + e)/∂x = I), so an upstream feature's gradient is its total
// effect on the target, through the later layers and their SAEs alike. Each SAE's features +
// error + bias add up to gradient × input at its own hook; the totals of different hooks are not
// additive (an upstream node's effect passes through the downstream hooks). With one SAE this
// is exactly the single-SAE attribution (the same operations, bit for bit).

#include "core/base/status.h"
#include "core/features/attribution_types.h"
#include "gpu/model/language_model.h"

#include <QString>

#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

// The value types live in core (the Attribution dock shows them as they are).
using gyrus::AblationCheck;
using gyrus::AttributionResult;
using gyrus::AttributionTarget;
using gyrus::FeatureAttribution;

/// Attributes `target` to every active feature of `sae` (at its hook) at every position of
/// `tokens`. Errors: an SAE hook the model lacks, a position or token out of range, a
/// LogitDifference without `versus`.
Result<AttributionResult> attributeFeatures(const LanguageModel &model,
                                            const detail::SaeModule &sae,
                                            const std::vector<int> &tokens,
                                            const AttributionTarget &target);

/// Attributes `target` to every active feature of each of `saes` (each at its own hook; several
/// may share one) in one forward and one backward pass: one result per SAE, in the given order,
/// with the same resolved target and value. Errors as above, naming the SAE's hook.
Result<std::vector<AttributionResult>> attributeFeatures(
        const LanguageModel &model, const std::vector<const detail::SaeModule *> &saes,
        const std::vector<int> &tokens, const AttributionTarget &target);

/// Sets one feature at one position to `value` (the rest of the hook, the SAE's error included,
/// unchanged).
struct FeatureEdit
{
    int position = 0;
    int feature = 0;
    float value = 0.0f;
};

/// The exact value of a resolved `target` with each edit applied on its own (batched forwards
/// over the tokens up to the target's position: later ones cannot reach it).
Result<std::vector<double>> targetUnderEdits(const LanguageModel &model,
                                             const detail::SaeModule &sae,
                                             const std::vector<int> &tokens,
                                             const AttributionTarget &target,
                                             const std::vector<FeatureEdit> &edits);

/// Ablates the `count` features with the largest |attribution| one at a time.
Result<std::vector<AblationCheck>> verifyByAblation(const LanguageModel &model,
                                                    const detail::SaeModule &sae,
                                                    const AttributionResult &attribution,
                                                    int count);

}  // namespace gyrus::gpu
