#pragma once
// The RSA dock's request as a stepper: a prompt set's items → representations at a hook (raw or
// SAE features, pooled) → RDM, optionally the RDM again with a clamp set spliced in, model RDMs
// of the set's factors and MDS, then each model RDM compared with the measured one (item
// permutations, bootstrap) a block at a time. Each step() does one stage, or one block of one
// comparison, so the engine serves other requests, and a cancel, between steps.
//
//   auto pipeline = RsaPipeline::start(model, sae, request);   // checks the settings
//   while (!(*pipeline)->isFinished()) {
//       Status stepped = (*pipeline)->step(report);            // report: StepProgress
//   }
//   std::shared_ptr<RsaResult> result = (*pipeline)->result();
//
// The readiness of the model and SAE (EngineState::requireModel/requireSae) is the caller's.
// Torch-free; engine thread only. The model must stay loaded while needsModel() (the engine
// checks its epoch between steps); the SAE is held.

#include "core/base/status.h"
#include "core/base/step_progress.h"
#include "core/rsa/rsa_requests.h"

#include <memory>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class SaeModule;
}

class RsaPipeline
{
public:
    /// Checks what can be checked before the model runs (at least 3 items, the metric, the
    /// comparison method, the pooling, a hook or an SAE to take it from); nothing runs yet. `sae`
    /// is needed for SAE features, an intervention, or an empty hook.
    static Result<std::unique_ptr<RsaPipeline>> start(const LanguageModel &model,
                                                      const std::shared_ptr<detail::SaeModule> &sae,
                                                      const RsaRequest &request);

    ~RsaPipeline();
    RsaPipeline(const RsaPipeline &) = delete;
    RsaPipeline &operator=(const RsaPipeline &) = delete;

    /// The hook the representations are read at (the request's, or the SAE's when it named none).
    QString hookName() const;

    /// One stage (the model's forward passes, the clamped ones, the RDMs and MDS) or one block of
    /// permutations / bootstrap draws of one comparison. Call only while !isFinished(); an error
    /// finishes the pipeline.
    Status step(const StepProgress &report);

    bool isFinished() const;
    /// True while a step still runs the model.
    bool needsModel() const;
    /// True once the steps are comparison blocks (short: a driver may run several in a row).
    bool isComparing() const;

    /// The result; complete once isFinished() after steps that all succeeded.
    std::shared_ptr<RsaResult> result() const;

private:
    struct Impl;
    explicit RsaPipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
