#pragma once

#include "core/base/status.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace gyrus {

/// Writes HDF5 files (torch-free), in one of two modes chosen when the file is made:
///
/// - **Whole file** (`create`): the file is built in memory (HDF5's core driver) and commit()
///   writes its image under a temporary name, syncs it and renames it over `path`, so readers
///   never see half a file, and a full disk is a failed write() of ours: HDF5 1.10 itself, when
///   its own close cannot flush, keeps a broken file object that crashes the process at exit. A
///   writer destroyed without commit() leaves nothing on disk. Results, exports and workspaces.
/// - **Rows** (`createRows`, `openRows`): the file is written in place, dataset by dataset in
///   row blocks (chunked, so `sae encode` and the activation cache never hold a whole matrix in
///   memory); flush() makes what is written so far survive a killed process, and a file opened
///   again continues where it stopped. Destroying the writer closes the file, keeping its rows.
///
/// Both modes write the same datasets: whole datasets of any rank (writeFloat32 ...) and rank-1/2
/// datasets filled row block by row block (createDataset + writeRows). Dataset names may contain
/// groups ("/hooks/blocks.0.hook_resid_post"): missing groups are created. Not thread-safe.
class Hdf5Writer
{
public:
    /// Element types of row datasets.
    enum class Type
    {
        Float32,
        Int32,
        Float16,  ///< IEEE half, as h5py and numpy write it; writeRows takes the 2-byte values
    };

    /// A new whole file, in memory until commit().
    static Result<std::unique_ptr<Hdf5Writer>> create(const QString &path);

    /// A new file written in place row block by row block (creates or truncates `path`).
    static Result<std::unique_ptr<Hdf5Writer>> createRows(const QString &path);

    /// An existing file, for writing more rows into its datasets (a resumed cache).
    static Result<std::unique_ptr<Hdf5Writer>> openRows(const QString &path);

    ~Hdf5Writer();
    Hdf5Writer(const Hdf5Writer &) = delete;
    Hdf5Writer &operator=(const Hdf5Writer &) = delete;

    /// A float32 dataset of `shape` (row-major `data`, product(shape) values).
    Status writeFloat32(const QString &name, const std::vector<int64_t> &shape, const float *data);

    /// An int32 dataset of `shape`.
    Status writeInt32(const QString &name, const std::vector<int64_t> &shape, const int32_t *data);

    /// A float64 dataset of `shape` (statistics that must round-trip exactly).
    Status writeFloat64(const QString &name, const std::vector<int64_t> &shape, const double *data);

    /// A rank-1 dataset of variable-length UTF-8 strings (stimulus ids, feature labels).
    Status writeStrings(const QString &name, const QStringList &values);

    /// A scalar variable-length UTF-8 string dataset (JSON documents in a workspace file).
    Status writeText(const QString &name, const QByteArray &utf8);

    /// A chunked dataset [rows, columns] of `type` to fill with writeRows(); columns == 0 makes
    /// a rank-1 dataset [rows] (token ids, positions).
    Status createDataset(const QString &name, Type type, int64_t rows, int64_t columns);

    /// An existing dataset of a file opened with openRows(), for writeRows().
    Status openDataset(const QString &name);

    /// Writes `count` rows starting at `begin` of a dataset made by createDataset() or opened
    /// by openDataset(); `data` holds count·columns values of its type.
    Status writeRows(const QString &name, int64_t begin, int64_t count, const void *data);

    /// A UTF-8 string attribute on the root group; an existing one of the same name is replaced.
    /// Whole files store it variable-length (what h5py writes for a `str`); row files keep the
    /// fixed-length strings activation caches have always had (h5py reads them as bytes).
    Status setAttribute(const QString &name, const QString &value);

    /// A float64 attribute on the root group, rewritten in place when it exists (progress
    /// counters after every batch).
    Status setAttribute(const QString &name, double value);

    /// Rows: writes what is buffered (data and metadata) to the file, so that a process killed
    /// after this leaves a file that opens with everything written so far. Whole file: nothing
    /// reaches the disk before commit(), so there is nothing to do.
    Status flush();

    /// Finishes the file. Whole file: writes it to disk (fsync) and renames it to its final
    /// path, so a crash or a full disk leaves either the old file or the new one, never half of
    /// one; errors say why (e.g. "No space left on device"). Rows: flushes and closes. Either
    /// way the writer takes no more writes.
    Status commit();

private:
    enum class Mode
    {
        WholeFile,
        Rows,
    };

    Hdf5Writer(Mode mode, QString path, QString temporaryPath, int64_t file);

    Status writeDataset(const QString &name, const std::vector<int64_t> &shape, int64_t memType,
                        int64_t fileType, const void *data);
    Status commitWholeFile();
    Status closeRows();
    void closeDatasets();

    Mode m_mode;
    QString m_path;
    QString m_temporaryPath;  // whole file: where commit() writes before the rename
    int64_t m_file = -1;      // hid_t, kept out of the header so that users need no hdf5.h
    std::vector<std::pair<QString, int64_t>> m_datasets;  // row datasets open for writeRows()
};

}  // namespace gyrus
