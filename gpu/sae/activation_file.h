#pragma once
// HDF5 activation files (ARCHITECTURE.md §5): `/activations` [N, d] float16/float32, read in row
// blocks so files larger than memory stream; and a small writer for the datasets `sae encode`
// produces. Torch-free: the source itself is gpu/detail/activation_source.h.

#include "core/status.h"

#include <QMap>
#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
}

struct ActivationFileInfo
{
    QString path;
    QString dataset;
    int64_t rows = 0;
    int64_t columns = 0;
    QMap<QString, QString> attributes;  ///< string and numeric attributes of the file root
};

/// Checks that `path` holds a rank-2 floating-point dataset `dataset` with at least one row.
Result<ActivationFileInfo> inspectActivationFile(
        const QString &path, const QString &dataset = QStringLiteral("activations"));

/// A stream over the dataset (see detail::ShuffleOptions for the shuffle; `shuffle` false reads
/// in file order, as evaluation and encoding do).
Result<std::shared_ptr<detail::ActivationSource>> openActivationFile(const QString &path,
                                                                     const QString &dataset,
                                                                     bool shuffle, uint64_t seed);

/// Writes rank-2 float16 / float32 / int32 datasets row block by row block (chunked, so `sae
/// encode` on a large file never holds all codes in memory). Not thread-safe.
class Hdf5Writer
{
public:
    enum class Type
    {
        Float32,
        Int32,
        Float16,  ///< IEEE half, as h5py and numpy write it; writeRows takes the 2-byte values
    };

    /// Creates (truncates) `path`.
    static Result<std::unique_ptr<Hdf5Writer>> create(const QString &path);

    /// Opens an existing file for writing more rows into its datasets (a resumed cache).
    static Result<std::unique_ptr<Hdf5Writer>> openForUpdate(const QString &path);
    ~Hdf5Writer();
    Hdf5Writer(const Hdf5Writer &) = delete;
    Hdf5Writer &operator=(const Hdf5Writer &) = delete;

    /// [rows, columns]; columns == 0 makes a rank-1 dataset [rows].
    Status createDataset(const QString &name, Type type, int64_t rows, int64_t columns);

    /// An existing dataset of a file opened with openForUpdate(), for writeRows().
    Status openDataset(const QString &name);

    /// Writes `count` rows starting at `begin`; `data` holds count·columns values of the type.
    Status writeRows(const QString &name, int64_t begin, int64_t count, const void *data);

    /// Root attributes; an existing attribute of the same name is replaced.
    Status setAttribute(const QString &name, const QString &value);
    Status setAttribute(const QString &name, double value);

    /// Writes what is buffered (data and metadata) to the file, so that a process killed after
    /// this leaves a file that opens with everything written so far.
    Status flush();

    /// Flushes and closes; the destructor closes too, but cannot report errors.
    Status close();

private:
    explicit Hdf5Writer(QString path, int64_t file);
    QString m_path;
    int64_t m_file = -1;
    QMap<QString, int64_t> m_datasets;
};

}  // namespace gyrus::gpu
