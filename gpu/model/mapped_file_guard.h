#pragma once

#include "core/base/status.h"

#include <QString>

#include <cstddef>

namespace gyrus::gpu {

/// Memory-mapped checkpoints and files changing under them: when a mapped file is truncated (a
/// download restarted, a file replaced in place), reading a page past its new end raises SIGBUS,
/// which would take the whole app down. A guarded mapping instead has the missing pages replaced
/// by zero pages (the read continues and sees zeros) and is marked as faulted, so its owner can
/// refuse the results with a message naming the file (checkMappingsUnchanged).
///
/// Faults outside every guarded mapping go to the handler installed before (by default: the
/// process stops, as without the guard). Guarding installs the SIGBUS handler once per process.
void guardMapping(const void *base, std::size_t size, const QString &path);

/// Forgets a mapping (call before unmapping it).
void unguardMapping(const void *base);

class SafetensorsArchive;

/// An error naming the file when a file `archive` maps shrank since it was opened (truncated or
/// rewritten in place): its pages past the new end read as zeros, so whatever was computed from
/// its tensors must be refused. OK otherwise. Call it after copying tensors out of an archive,
/// and after computing with tensors that still point into it (zero-copy weights).
Status checkMappingsUnchanged(const SafetensorsArchive &archive);

}  // namespace gyrus::gpu
