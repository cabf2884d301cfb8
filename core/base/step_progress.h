#pragma once
// How a stepper (a long request's domain class: docs/architecture.md, "The stepper pattern")
// tells whoever drives it what it is doing inside a step: the share of the whole request done
// and the stage in words. The answer says whether to go on: a stepper whose work inside one
// step is long (a corpus pass) stops it when the answer is false, and the step then fails with
// Status::cancelled. The engine passes JobContext::reportProgress (throttled there, so a tight
// loop may call it on every iteration) and !isCancelled(); a test may pass a recorder.

#include <QString>

#include <functional>

namespace gyrus {

using StepProgress = std::function<bool(double fraction, const QString &stage)>;

}  // namespace gyrus
