#pragma once
// NumPy .npz archives as np.savez writes them (a zip of .npy files, stored, zip64 allowed):
// enough to read Gemma Scope's params.npz. Compressed archives (np.savez_compressed) are refused
// with a message saying so. Torch-free.

#include "core/status.h"

#include <QMap>
#include <QString>
#include <QVector>

#include <vector>

namespace gyrus::gpu {

struct NpyArray
{
    QVector<qint64> shape;
    std::vector<float> values;  ///< row-major, converted from <f4, <f2 or <f8
};

/// Every array of the archive, keyed by name without ".npy".
Result<QMap<QString, NpyArray>> readNpz(const QString &path);

}  // namespace gyrus::gpu
