#pragma once
// A corpus scan on disk, so a second start of the app does not scan again.
// A versioned binary file (QDataStream) with the scan's options and an identity string of the SAE
// it was made with; torch-free.

#include "core/base/status.h"
#include "gpu/analysis/corpus_scan.h"

#include <QString>

namespace gyrus::gpu {

struct SavedCorpusScan
{
    CorpusScan scan;
    QString saeIdentity;  ///< as given to saveCorpusScan()
};

/// Writes `scan` atomically to `path`. `saeIdentity` says which SAE it belongs to (see
/// saeIdentityOf()); loadCorpusScan() gives it back for the caller to compare.
Status saveCorpusScan(const CorpusScan &scan, const QString &saeIdentity, const QString &path);

/// Reads a file written by saveCorpusScan(). NotFound when it does not exist; InvalidInput naming
/// the file when it is not a scan file, is from another version or is truncated.
Result<SavedCorpusScan> loadCorpusScan(const QString &path);

/// "sha256:<fingerprint of the SAE directory>|<d_sae>" (core/base/file_fingerprint.h): changes when
/// the SAE is retrained or replaced, so a stale scan is not shown for new weights, and stays the
/// same when the directory is copied or installed elsewhere, so a shipped scan still fits.
QString saeIdentityOf(const QString &saeDirectory, int dSae);

}  // namespace gyrus::gpu
