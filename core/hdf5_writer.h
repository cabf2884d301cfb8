#pragma once

#include "core/status.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace gyrus {

/// Writes numeric datasets to a new HDF5 file (torch-free). The file is built in memory (HDF5's
/// core driver) and commit() writes its image under a temporary name, syncs it and renames it over
/// `path`, so readers never see half a file, and a full disk is a failed write() of ours: HDF5
/// 1.10 itself, when its own close cannot flush, keeps a broken file object that crashes the
/// process at exit. A writer destroyed without commit() leaves nothing on disk. Dataset names may
/// contain groups ("/hooks/blocks.0.hook_resid_post"): missing groups are created.
class Hdf5Writer
{
public:
    static Result<std::unique_ptr<Hdf5Writer>> create(const QString &path);

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

    /// A variable-length UTF-8 string attribute on the root group.
    Status writeRootAttribute(const QString &name, const QString &value);

    /// Writes the file to disk (fsync) and renames it to its final path, so a crash or a full
    /// disk leaves either the old file or the new one, never half of one. Errors say why (e.g.
    /// "No space left on device").
    Status commit();

private:
    Hdf5Writer(QString path, QString temporaryPath, int64_t file);

    Status writeDataset(const QString &name, const std::vector<int64_t> &shape, int64_t memType,
                        int64_t fileType, const void *data);

    QString m_path;
    QString m_temporaryPath;
    int64_t m_file = -1;  // hid_t, kept out of the header so that users need no hdf5.h
};

}  // namespace gyrus
