#pragma once
// The one boundary between exceptions and Status in gyrus_gpu: torch reports failures (shapes,
// devices, out of memory) by throwing, and Transformer::forward throws a detail::StatusError;
// every caller that returns a Status turns what it catches into one here, so an out-of-memory
// failure reads the same from a forward, a generation step, a steering run or the engine.

#include "core/base/status.h"

#include <QString>

#include <exception>
#include <utility>

namespace gyrus::gpu {

/// Turns an exception from torch (or anything else) into a Status whose message says what to do:
/// CPU and CUDA out-of-memory become Code::OutOfMemory with advice (smaller batch, CPU, fewer
/// features); torch's argument/shape errors keep their first line, without the C++ backtrace
/// torch appends ("torch: shape ..."); a thrown detail::StatusError is its Status, unchanged.
/// `what`, when given, names the operation and leads the message ("forward: torch: ...").
/// Installed as the engine's JobRunner exception translator.
Status statusFromException(std::exception_ptr error, const QString &what = QString());

/// Runs `body` (returning a Result<T>, a T or a Status) and returns what it returns, or
/// statusFromException(..., what) of whatever it throws.
template <typename T, typename F>
Result<T> catchingExceptions(const QString &what, F &&body)
{
    try {
        return std::forward<F>(body)();
    } catch (...) {
        return statusFromException(std::current_exception(), what);
    }
}

}  // namespace gyrus::gpu
