#pragma once
// Runs a read of a user file once in a forked child first, for libraries that can hang or crash
// on damaged input and cannot be interrupted: Debian's HDF5 1.10.8 loops forever in H5HG_read on
// some damaged global heaps (tests/data/fuzz/hdf5_hang). A child that does not finish in time is
// killed and the file refused; the caller's process never hangs.

#include "core/base/status.h"

#include <QString>

#include <functional>

namespace gyrus {

/// Runs `read` in a child process (fork) and waits for it: OK when it finished; an error naming
/// `path` when it ran past the time limit (30 s plus 1 s per 20 MB of the file;
/// GYRUS_READ_PROBE_TIMEOUT_MS overrides it) or died of a signal. OK as well when no child can
/// be made (the caller then reads as it would have). `read`'s result is not used: the caller
/// reads again in its own process, now that the file is known not to hang.
Status probeReadInChildProcess(const QString &path, const std::function<void()> &read);

}  // namespace gyrus
