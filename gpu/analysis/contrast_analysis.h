#pragma once
// The Contrasts dock's analyses as a stepper. Each reads the items × features table of a prompt
// set at a hook (raw activations or the SAE's features, pooled as asked; reused from a memo
// while the stimuli, the settings, the model and the SAE are unchanged) and computes one of:
// - a contrast per feature: two groups (levels A and B of a factor), or the three effects of a
//   2 × 2 design, with the means of each side;
// - the feature-wise RSA map: pooled separations r and d, the max-activation contrast and, on
//   aligned windows, temporal RSA per feature;
// - the method comparison: each selection method inside cross-validation folds, then a
//   permutation null (MethodComparisonRun), and the features each picks on all items.
//
//   auto memo = std::make_shared<ContrastMemo>();           // kept between analyses
//   auto analysis = ContrastAnalysis::startContrast(inputs, source, memo);
//   while (!analysis->isFinished()) {
//       Status stepped = analysis->step(report);            // report: StepProgress
//   }
//   std::shared_ptr<ContrastAnalysisResult> result = analysis->contrast();
//
// The first step runs the model (the representations) and finishes a contrast or a map; a
// method comparison then runs a few splits per step. The readiness of the model and SAE
// (EngineState::requireModel/requireSae) is the caller's. Torch-free; engine thread only; the
// model must stay loaded until the first step is done, the SAE is held.

#include "core/base/status.h"
#include "core/base/step_progress.h"
#include "core/contrasts/contrast_requests.h"
#include "gpu/analysis/prompt_representation.h"

#include <memory>
#include <optional>

namespace gyrus::gpu {

/// What the representations are read from.
struct ContrastInputs
{
    const LanguageModel *model = nullptr;
    quint64 modelEpoch = 0;  ///< the memo's key for `model`
    /// For SAE features: the SAE, its epoch, its name (for the description) and its hook (SAE
    /// features exist there only).
    std::shared_ptr<detail::SaeModule> sae;
    quint64 saeEpoch = 0;
    QString saeName;
    QString saeHook;
};

/// The last prompt representations computed, so that the three tabs of the dock (and re-runs
/// with other levels) do not run the model again on the same stimuli.
struct ContrastMemo
{
    quint64 modelEpoch = 0;
    std::optional<quint64> saeEpoch;  // none: raw activations
    QString hook;
    Pooling pooling = Pooling::Mean;
    int window = 0;
    PromptSet set;
    std::shared_ptr<const PromptRepresentations> representations;
};

class ContrastAnalysis
{
public:
    /// `memo` may be null (no reuse).
    static std::unique_ptr<ContrastAnalysis> startContrast(const ContrastInputs &inputs,
                                                           const ContrastSource &source,
                                                           std::shared_ptr<ContrastMemo> memo);
    static std::unique_ptr<ContrastAnalysis> startFeatureRsaMap(const ContrastInputs &inputs,
                                                                const ContrastSource &source,
                                                                std::shared_ptr<ContrastMemo> memo);
    /// Checks the method names (empty: the four pooled methods, and the temporal ones when the
    /// source pools to aligned windows).
    static Result<std::unique_ptr<ContrastAnalysis>> startMethodComparison(
            const ContrastInputs &inputs, const MethodComparisonRequest &request,
            std::shared_ptr<ContrastMemo> memo);

    ~ContrastAnalysis();
    ContrastAnalysis(const ContrastAnalysis &) = delete;
    ContrastAnalysis &operator=(const ContrastAnalysis &) = delete;

    /// The representations and what follows from them at once (a contrast, a map, or the
    /// comparison's table and splits); then up to `splits` splits of the method comparison (a
    /// fold of a repeat, or a permutation) per step, and its result after the last. Call only
    /// while !isFinished(); an error finishes the analysis.
    Status step(const StepProgress &report, int splits = 1);

    bool isFinished() const;

    /// The result of the analysis started; null until it finished successfully.
    std::shared_ptr<ContrastAnalysisResult> contrast() const;
    std::shared_ptr<FeatureRsaMap> featureRsaMap() const;
    std::shared_ptr<MethodComparisonResult> methodComparison() const;

private:
    struct Impl;
    explicit ContrastAnalysis(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
