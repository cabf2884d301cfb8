#pragma once
// The engine's side of the stepper pattern (docs/architecture.md): one Job that checks the
// engine is ready, starts a stepper, drives it one bounded piece per slice, stops when the model
// or SAE it started with was replaced, reports progress with the ETA every long job shows, and
// hands the finished stepper to the adapter. Engine-private; the steppers stay in their domain
// folders and know nothing of it.

#include "core/base/remaining_time.h"
#include "core/base/status.h"
#include "core/engine/job_runner.h"
#include "gpu/engine/engine_state.h"

#include <QElapsedTimer>
#include <QString>

#include <functional>
#include <memory>
#include <utility>

namespace gyrus::gpu {

/// What a stepped job reads of the engine: the model, or the model and the SAE.
enum class EngineNeeds
{
    Model,
    Sae,
};

/// "stage · ETA 12 s" (the stage alone until the pace is known).
inline QString stageWithEta(const QString &stage, double fraction, const QElapsedTimer &clock)
{
    if (fraction <= 0.0 || !clock.isValid()) {
        return stage;
    }
    return QStringLiteral("%1 · %2").arg(
            stage, etaText(remainingSeconds(fraction, double(clock.elapsed()) / 1000.0)));
}

/// One request driven through a stepper. `Stepper` has `Status step()`, `bool isFinished()`
/// and `double fraction()`; the rest is given here.
template <typename Stepper>
struct SteppedJob
{
    QString name;  ///< the Job's name, for logs
    QString tag;   ///< the Job's tag: a newer job with the same tag replaces a queued one
    EngineNeeds needs = EngineNeeds::Sae;
    /// What the request is called in "the model or SAE was replaced during <during>".
    QString during;
    /// Called once, after the readiness check: the stepper, or why it cannot start.
    std::function<Result<std::unique_ptr<Stepper>>(EngineState &state)> start;
    /// One bounded piece of work (the default: `stepper.step()`).
    std::function<Status(Stepper &stepper)> step = [](Stepper &stepper) { return stepper.step(); };
    /// The progress stage shown before the ETA.
    std::function<QString(const Stepper &stepper)> stage;
    /// Called once the stepper is finished: emits the result (or says why there is none).
    std::function<Status(Stepper &stepper, JobContext &context)> finish;
    /// Named in front of a failed step's message (empty: none).
    QString context;
    /// The first slice only starts the stepper and reports its first stage (a stepper whose
    /// start builds what its steps read, so that a request queued meanwhile runs first).
    bool startAlone = false;
};

/// The Job that runs `job` on `state`.
template <typename Stepper>
Job steppedJob(std::shared_ptr<EngineState> state, SteppedJob<Stepper> job)
{
    struct Run
    {
        std::unique_ptr<Stepper> stepper;
        quint64 modelEpoch = 0;
        quint64 saeEpoch = 0;
        QElapsedTimer clock;
    };

    auto run = std::make_shared<Run>();
    auto spec = std::make_shared<const SteppedJob<Stepper>>(std::move(job));
    return Job{spec->name, spec->tag,
               [state = std::move(state), run, spec](JobContext &context, Status *status) {
                   if (context.isCancelled()) {
                       return JobStep::Done;
                   }
                   const bool needsSae = spec->needs == EngineNeeds::Sae;
                   if (!run->stepper) {
                       if (Status ready = needsSae ? state->requireSae() : state->requireModel();
                           !ready.isOk()) {
                           *status = ready;
                           return JobStep::Done;
                       }
                       Result<std::unique_ptr<Stepper>> started = spec->start(*state);
                       if (!started) {
                           *status = started.status();
                           return JobStep::Done;
                       }
                       run->stepper = std::move(started).value();
                       run->modelEpoch = state->modelEpoch;
                       run->saeEpoch = state->saeEpoch;
                       run->clock.start();
                       if (spec->startAlone) {
                           context.reportProgress(0.0, spec->stage(*run->stepper));
                           return JobStep::Continue;
                       }
                   }
                   if (state->modelEpoch != run->modelEpoch ||
                       (needsSae && state->saeEpoch != run->saeEpoch)) {
                       *status = Status::cancelled(
                               QStringLiteral("the model or SAE was replaced during %1")
                                       .arg(spec->during));
                       return JobStep::Done;
                   }
                   Stepper &stepper = *run->stepper;
                   if (Status stepped = spec->step(stepper); !stepped.isOk()) {
                       *status = spec->context.isEmpty() ? stepped
                                                         : stepped.withContext(spec->context);
                       return JobStep::Done;
                   }
                   const double fraction = stepper.fraction();
                   if (!stepper.isFinished()) {
                       context.reportProgress(
                               fraction, stageWithEta(spec->stage(stepper), fraction, run->clock));
                       return JobStep::Continue;
                   }
                   context.reportProgress(1.0, spec->stage(stepper));
                   *status = spec->finish(stepper, context);
                   return JobStep::Done;
               }};
}

}  // namespace gyrus::gpu
