#pragma once

#include "core/base/status.h"

#include <exception>

namespace gyrus::gpu {

/// Turns an exception from torch (or anything else) into a Status whose message says what to do:
/// CPU and CUDA out-of-memory become Code::OutOfMemory with advice (smaller batch, CPU, fewer
/// features); torch's argument/shape errors keep their first line, without the C++ backtrace
/// torch appends. Installed as the engine's JobRunner exception translator.
Status statusFromException(std::exception_ptr error);

}  // namespace gyrus::gpu
