#pragma once
// SHA-256 fingerprints of the model and SAE directories a workspace refers to, so that opening
// a workspace can tell when the files at the saved path are no longer the ones it was made with.
//
// Models are gigabytes, so a fingerprint does not read the weights: it hashes every file whose
// name ends in .json (config.json, model.safetensors.index.json, tokenizer_config.json,
// cfg.json, ...) and tokenizer.model whole, and of each *.safetensors file only its header (the
// 8-byte length and the JSON table of tensor names, dtypes, shapes and offsets) plus the file
// size. Files under 64 MiB (SAEs, the demo model) are hashed whole. Renamed or retrained weights
// change the header or size; an in-place edit of a big file's tensor bytes that keeps its size
// would not be noticed — the price of not reading gigabytes on every save.

#include "core/base/status.h"

#include <QString>

namespace gyrus {

struct DirectoryFingerprint
{
    QString sha256;  ///< hex
    QString method;  ///< "whole files" or "json + safetensors headers" (what was read)
};

/// The fingerprint of a model or SAE directory (or a single file). Fails when it does not exist
/// or a file cannot be read. Results are cached per path, size and modification time.
Result<DirectoryFingerprint> fingerprintDirectory(const QString &path);

}  // namespace gyrus
