#pragma once
// Where corpus scans live. A scan is keyed by the SAE's content fingerprint, not its path, so the
// same weights find their scan wherever they are opened from (a build tree, an install, a copy),
// and a retrained SAE at the same path does not pick up the old one. Scans are written to a
// folder the user chooses, by default one in the user's data folder: never into the SAE's own
// directory, which may be a read-only install or a source tree.

#include "core/engine/engine_types.h"

#include <QString>
#include <QStringList>

namespace gyrus {

/// "corpus-scans" in the user's data folder (QStandardPaths::AppDataLocation, e.g.
/// ~/.local/share/Gyrus/Gyrus/corpus-scans); the temporary folder when there is none.
QString defaultCorpusScanDirectory();

/// The name the scan of this SAE has in a scan folder: the first 16 hex digits of its
/// fingerprint (core/base/file_fingerprint.h) and ".gyrus-scan". Empty when the SAE has no path or
/// its files cannot be read.
QString corpusScanFileName(const SaeInfo &sae);

/// Where a scan of `sae` is saved: `directory` (empty: defaultCorpusScanDirectory()) joined with
/// corpusScanFileName(). Empty when the SAE cannot be fingerprinted.
QString corpusScanPath(const SaeInfo &sae, const QString &directory = QString());

/// A scan shipped inside the SAE's directory (gyrus_scan.bin; the demo SAE has one), read-only.
QString shippedCorpusScanPath(const SaeInfo &sae);

/// The saved scans to try for `sae`, best first: the user's scan folder, then a shipped one. Only
/// files that exist.
QStringList existingCorpusScans(const SaeInfo &sae, const QString &directory = QString());

}  // namespace gyrus
