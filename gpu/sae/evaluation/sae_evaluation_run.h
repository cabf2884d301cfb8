#pragma once
// The SAE training dock's evaluation card as a stepper: an SAE directory evaluated on held-out
// text against the loaded model, the numbers `gyrus-cli cache` followed by `gyrus-cli sae eval
// --model --corpus` print. Four steps: load the SAE (and check it reads a hook of the model),
// cache the held-out activations at its hook (reporting progress, cancellable inside), the
// reconstruction and sparsity metrics on them, CE-loss recovered with the SAE spliced in.
//
//   auto run = SaeEvaluationRun::start(model, request);
//   while (!run->isFinished()) {
//       Status stepped = run->step(report);   // report: StepProgress
//   }
//   SaeEvalResult result = run->result();
//
// The model's readiness is the caller's (EngineState::requireModel). Torch-free; engine thread
// only; the model must outlive the run (the engine checks its epoch between steps). The
// held-out activations live in a temporary directory, removed when the run finishes or goes.

#include "core/base/status.h"
#include "core/base/step_progress.h"
#include "core/sae/sae_evaluation_types.h"

#include <memory>

namespace gyrus::gpu {

class LanguageModel;

class SaeEvaluationRun
{
public:
    static std::unique_ptr<SaeEvaluationRun> start(const LanguageModel &model,
                                                   const SaeEvalRequest &request);

    ~SaeEvaluationRun();
    SaeEvaluationRun(const SaeEvaluationRun &) = delete;
    SaeEvaluationRun &operator=(const SaeEvaluationRun &) = delete;

    /// The next of the four steps. Call only while !isFinished(); an error finishes the run.
    Status step(const StepProgress &report);

    bool isFinished() const;

    /// The metrics so far (complete once isFinished() after steps that all succeeded).
    const SaeEvalResult &result() const;

private:
    struct Impl;
    explicit SaeEvaluationRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
