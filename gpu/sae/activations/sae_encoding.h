#pragma once
// `sae encode`: feature activations of every row of an HDF5 activation file, written to a new
// HDF5 file dense (`/features` [N, d_sae]) or as the top k per row (`/indices` [N, k] int32,
// `/values` [N, k] float32, sorted by value). Torch-free.

#include "core/base/status.h"

#include <QString>

#include <cstdint>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

struct SaeEncodeOptions
{
    QString dataset = QStringLiteral("activations");
    int64_t topK = 0;  ///< 0: dense output
    int64_t batchSize = 4096;
    QString device = QStringLiteral("cpu");
    QString saeDescription;  ///< written as the `sae` attribute (e.g. the SAE directory)
};

/// Returns the number of rows encoded.
Result<int64_t> encodeActivationFile(const detail::SaeModule &module, const QString &inputPath,
                                     const QString &outputPath, const SaeEncodeOptions &options);

}  // namespace gyrus::gpu
