#pragma once

#include "core/base/float_matrix.h"
#include "core/base/status.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <vector>

namespace gyrus {

/// Reads datasets from an HDF5 file (read-only, torch-free). Numeric datasets of any integer or
/// float type are converted by the HDF5 library; messages name the file, the dataset and the
/// problem (missing, wrong rank, wrong type).
class Hdf5Reader
{
public:
    /// Opens `path`; fails with NotFound when the file does not exist and InvalidInput when it
    /// is not an HDF5 file.
    static Result<std::shared_ptr<Hdf5Reader>> open(const QString &path);

    ~Hdf5Reader();
    Hdf5Reader(const Hdf5Reader &) = delete;
    Hdf5Reader &operator=(const Hdf5Reader &) = delete;

    const QString &path() const { return m_path; }

    bool hasDataset(const QString &name) const;

    /// The dataset's dimensions (empty for a scalar); fails when it does not exist.
    Result<std::vector<int64_t>> shape(const QString &name) const;

    /// A rank-2 numeric dataset as float32 [rows, cols]. A rank-1 dataset is read as [n, 1].
    Result<FloatMatrix> readFloatMatrix(const QString &name) const;

    /// Every element of a numeric dataset of any rank (a scalar gives one), as float64, in
    /// row-major order.
    Result<std::vector<double>> readDoubles(const QString &name) const;

    /// A rank-1 numeric dataset as int64 (floats must hold whole numbers).
    Result<std::vector<int64_t>> readIntVector(const QString &name) const;

    /// A rank-1 dataset of strings (fixed or variable length), or of integers (written in
    /// decimal): stimulus ids.
    Result<QStringList> readStrings(const QString &name) const;

    /// A scalar string dataset (as Hdf5Writer::writeText writes it), as UTF-8 bytes.
    Result<QByteArray> readText(const QString &name) const;

    /// A string attribute of the root group; NotFound when absent.
    Result<QString> readRootAttribute(const QString &name) const;

    /// The names of the direct members of `group` ("/sections"), sorted; empty when the group
    /// does not exist.
    QStringList memberNames(const QString &group) const;

private:
    Hdf5Reader(QString path, int64_t file);

    QString m_path;
    int64_t m_file = -1;  // hid_t, kept out of the header so that users need no hdf5.h
};

}  // namespace gyrus
