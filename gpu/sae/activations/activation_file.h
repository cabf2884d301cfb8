#pragma once
// HDF5 activation files (ARCHITECTURE.md §5): `/activations` [N, d] float16/float32, read in row
// blocks so files larger than memory stream. Torch-free (gyrus_formats): the stream the trainer
// reads is gpu/sae/activations/activation_stream.h; files are written with
// core/hdf5/hdf5_writer.h's row mode.

#include "core/base/status.h"

#include <QMap>
#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

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

/// Row blocks of an activation dataset, as stored: IEEE binary16 (as h5py and `gyrus-cli cache`
/// write it) comes back as its 2-byte values, to be widened by the caller (many times faster
/// than the HDF5 library's soft conversion); any other float type as float32.
class ActivationRowFile
{
public:
    /// Opens and checks the dataset as inspectActivationFile() does.
    static Result<std::unique_ptr<ActivationRowFile>> open(const QString &path,
                                                           const QString &dataset);

    ~ActivationRowFile();
    ActivationRowFile(const ActivationRowFile &) = delete;
    ActivationRowFile &operator=(const ActivationRowFile &) = delete;

    int64_t rows() const { return m_rows; }

    int64_t columns() const { return m_columns; }

    /// True when readRows() writes 2-byte halves; false: float32.
    bool storesHalf() const { return m_half; }

    /// Names the data in messages ("activations.h5: dataset '/activations'").
    QString describe() const;

    /// Rows [begin, begin + count) into `out` (count·columns values, see storesHalf()).
    Status readRows(int64_t begin, int64_t count, void *out) const;

private:
    ActivationRowFile(QString path, QString dataset, int64_t file, int64_t data, int64_t rows,
                      int64_t columns, bool half);

    QString m_path;
    QString m_dataset;
    int64_t m_file = -1;  // hid_t, kept out of the header so that users need no hdf5.h
    int64_t m_data = -1;
    int64_t m_rows = 0;
    int64_t m_columns = 0;
    bool m_half = false;
};

}  // namespace gyrus::gpu
