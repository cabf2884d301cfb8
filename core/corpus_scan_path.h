#pragma once

#include "core/engine_types.h"

#include <QString>

namespace gyrus {

/// Where the feature inspector keeps the corpus scan of `sae`: gyrus_scan.bin inside the SAE
/// directory when that is writable (it travels with the SAE), otherwise a file named after the
/// SAE's path in the user's cache directory. Empty when no SAE is given.
QString defaultCorpusScanPath(const SaeInfo &sae);

}  // namespace gyrus
