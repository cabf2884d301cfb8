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

#include "core/status.h"
#include "gpu/model/language_model.h"

#include <QString>

#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// What is attributed: an output at one position.
struct AttributionTarget
{
    enum class Kind
    {
        LogProbability,   ///< log p(token | tokens[0..position])
        LogitDifference,  ///< logit(token) − logit(versus)
    };
    Kind kind = Kind::LogProbability;
    int position = -1;  ///< the position whose next-token output is the target; -1: the last
    int token = -1;     ///< -1: the model's most likely next token at `position`
    int versus = -1;    ///< the subtracted token of a LogitDifference
};

/// One active feature at one position.
struct FeatureAttribution
{
    int position = 0;
    int feature = 0;
    float activation = 0.0f;
    float gradient = 0.0f;     ///< ∂target / ∂activation (through the decoder)
    float attribution = 0.0f;  ///< activation × gradient: the linear estimate of its ablation's
                               ///< effect, with the sign reversed
};

struct AttributionResult
{
    QString hook;
    std::vector<int> tokens;
    AttributionTarget target;  ///< resolved: position and token filled in
    double value = 0.0;        ///< the target's value in the unedited forward
    /// Every active (position, feature), largest |attribution| first.
    std::vector<FeatureAttribution> features;
    std::vector<double> errorAttribution;  ///< per position
    std::vector<double> biasAttribution;   ///< per position
    std::vector<double> totalAttribution;  ///< per position: gradient × input at the hook

    double featureSum() const;
    double errorSum() const;
    double biasSum() const;
    double total() const;
};

/// Attributes `target` to every active feature of `sae` (at its hook) at every position of
/// `tokens`. Errors: an SAE hook the model lacks, a position or token out of range, a
/// LogitDifference without `versus`.
Result<AttributionResult> attributeFeatures(const LanguageModel &model,
                                            const detail::SaeModule &sae,
                                            const std::vector<int> &tokens,
                                            const AttributionTarget &target);

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

/// The linear estimate beside the real change when one feature is ablated (set to zero).
struct AblationCheck
{
    FeatureAttribution feature;
    double estimatedChange = 0.0;  ///< −attribution
    double actualChange = 0.0;     ///< target with the feature at zero − target
};

/// Ablates the `count` features with the largest |attribution| one at a time.
Result<std::vector<AblationCheck>> verifyByAblation(const LanguageModel &model,
                                                    const detail::SaeModule &sae,
                                                    const AttributionResult &attribution,
                                                    int count);

}  // namespace gyrus::gpu
