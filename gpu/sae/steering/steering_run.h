#pragma once
// A steering request (baseline and steered continuation of one prompt) as a stepper: each step()
// produces one token, so the engine runs it one token per slice and serves hover, clamp and
// analysis requests between tokens (ARCHITECTURE.md §3), as it does for plain generation.
//
//   SteeringBaselineMemo memo;  // kept by the caller between runs (EngineState)
//   auto run = SteeringRun::start(model, modelEpoch, sae, request, &memo);
//   while (!(*run)->isFinished()) {
//       Result<SteeringPiece> piece = (*run)->step();  // stream piece->text
//   }
//   SteeringOutcome outcome = (*run)->outcome();
//
// The baseline does not depend on the clamp set: while the prompt, the sampling settings, the
// seed and the model (its epoch) are unchanged, the memo's baseline is reused and comes back as
// one piece. The steered generation is the one `gyrus-cli generate --clamp` prints
// (generateClamped in steering.h), token for token. Torch-free; engine thread only; the model
// and the SAE must outlive the run.

#include "core/base/status.h"
#include "core/steering/steering_types.h"
#include "gpu/model/language_model.h"

#include <memory>
#include <optional>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// What a baseline generation depends on: the prompt, the sampling settings and seed, and the
/// model it ran on (an epoch that every model load bumps, so a reload of the same path counts as
/// a new model).
struct SteeringBaselineKey
{
    QString prompt;
    GenerateOptions options;
    quint64 modelEpoch = 0;

    bool operator==(const SteeringBaselineKey &other) const;
};

/// The last baseline generated, for the next run with the same key.
struct SteeringBaselineMemo
{
    std::optional<SteeringBaselineKey> key;
    GenerateResult baseline;
};

/// One streamed piece: the text a token adds to one of the two continuations (or, for a reused
/// baseline, the whole baseline at once).
struct SteeringPiece
{
    SteeringStream stream = SteeringStream::Baseline;
    QString text;  ///< may be empty (a token that completes no character yet)
};

class SteeringRun
{
public:
    /// Checks the clamp set against the SAE (`sae` may be null for an empty set) and prepares the
    /// run; nothing is generated yet. `memo` may be null (no reuse).
    static Result<std::unique_ptr<SteeringRun>> start(
            const LanguageModel &model, quint64 modelEpoch,
            const std::shared_ptr<const detail::SaeModule> &sae, const SteeringRequest &request,
            SteeringBaselineMemo *memo);

    ~SteeringRun();
    SteeringRun(const SteeringRun &) = delete;
    SteeringRun &operator=(const SteeringRun &) = delete;

    /// One token of the baseline (or the memoised baseline whole), then one token of the steered
    /// continuation per call. Call only while !isFinished(); an error finishes the run.
    Result<SteeringPiece> step();

    bool isFinished() const;

    /// Tokens generated so far over both continuations, and the most there can be.
    int tokensDone() const;
    int tokensTotal() const;

    /// True when the baseline came from the memo rather than a generation.
    bool baselineReused() const;

    /// Both continuations; complete once isFinished().
    SteeringOutcome outcome() const;

private:
    struct Impl;
    explicit SteeringRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
