#pragma once
// The sweep "steer by the concept vector vs steer by its top contrast features"
// (core/steering/concept_sweep_types.h) as a stepper: the first step computes the concept vector at
// the SAE's hook (conceptVector(), the vector `gyrus-cli concept-vector` prints) and the SAE
// features' mean difference between the sides on the same pooled representations; the second reads
// the baseline next-token distribution; then each step runs one α both ways: α · v as a steering
// vector (the Steering dock's concept intervention) and the k features as additive clamps of
// α · Δ_f (the clamp splice), every position after BOS. The engine slices it; `gyrus-cli
// concept-sweep` drives it to the end. Torch-free; the model and SAE must outlive the run.

#include "core/base/status.h"
#include "core/steering/concept_sweep_types.h"

#include <functional>
#include <memory>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class SaeModule;
}

class ConceptSweepRun
{
public:
    /// Checks the request (an SAE, at least one finite α, k ≥ 1, a pooling that gives one row
    /// per item, both sides in the set, a prompt with tokens, a one-token target) and encodes the
    /// prompt. Errors name the field.
    static Result<std::unique_ptr<ConceptSweepRun>> start(
            const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
            const ConceptSweepRequest &request);
    ~ConceptSweepRun();
    ConceptSweepRun(const ConceptSweepRun &) = delete;
    ConceptSweepRun &operator=(const ConceptSweepRun &) = delete;

    /// One bounded piece (see the file comment). An error finishes the run.
    Status step();
    bool isFinished() const;
    double fraction() const;
    QString stage() const;  ///< "concept vector", "baseline", "α 3 / 9"

    /// What has been computed so far; complete once isFinished().
    const ConceptSweepResult &result() const;

private:
    struct Impl;
    explicit ConceptSweepRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// Runs ConceptSweepRun to the end; `progress` gets the fraction and the stage and may return
/// false to cancel.
Result<ConceptSweepResult> sweepConceptSteering(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ConceptSweepRequest &request,
        const std::function<bool(double fraction, const QString &stage)> &progress = {});

}  // namespace gyrus::gpu
