#pragma once
// NumPy .npz archives as np.savez writes them (a zip of .npy files, stored, zip64 allowed):
// enough to read Gemma Scope's params.npz. Compressed archives (np.savez_compressed) are refused
// with a message saying so. Torch-free.

#include "core/base/status.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <vector>

class QFile;

namespace gyrus::gpu {

struct NpyArray
{
    QVector<qint64> shape;
    std::vector<float> values;  ///< row-major, converted from <f4, <f2 or <f8
};

/// One array of an archive as it is stored: its shape and where its values lie in the mapping.
struct NpyEntry
{
    QVector<qint64> shape;
    qint64 count = 0;  ///< elements
    int width = 4;     ///< bytes per element: 2 (<f2), 4 (<f4) or 8 (<f8)
    const uchar *data = nullptr;
};

/// An .npz archive, mapped, with its directory and every .npy header checked but no values read:
/// arrays are copied out a slice at a time, so a wide SAE (a 262k x 2304 W_enc is 2.4 GB of
/// float32) is never held twice.
class NpzArchive
{
public:
    static Result<NpzArchive> open(const QString &path);

    const QString &path() const { return m_path; }

    bool contains(const QString &name) const { return m_entries.contains(name); }

    /// The arrays' names (without ".npy"), sorted.
    QStringList names() const { return m_entries.keys(); }

    /// The array `name` (without ".npy"), or nullptr.
    const NpyEntry *entry(const QString &name) const;

    /// Elements [begin, begin + count) of `entry` as float32 into `out`. With `release`, the
    /// mapping's whole pages of those elements are let go afterwards (madvise MADV_DONTNEED; read
    /// from the file again if touched).
    void copyValues(const NpyEntry &entry, qint64 begin, qint64 count, float *out,
                    bool release) const;

private:
    std::shared_ptr<QFile> m_file;  ///< owns the mapping
    QString m_path;
    QMap<QString, NpyEntry> m_entries;
};

/// Every array of the archive, keyed by name without ".npy".
Result<QMap<QString, NpyArray>> readNpz(const QString &path);

}  // namespace gyrus::gpu
