#include "gpu/sae/activations/activation_file.h"

#include "core/hdf5/hdf5_handle.h"

#include <vector>

namespace gyrus::gpu {

namespace {

QString where(const QString &path, const QString &dataset)
{
    return QStringLiteral("%1: dataset '/%2'").arg(path, dataset);
}

// True for IEEE binary16 stored little-endian (not bfloat16 or another 2-byte layout).
bool isIeeeHalf(hid_t type)
{
    size_t sign = 0, exponentPos = 0, exponentBits = 0, mantissaPos = 0, mantissaBits = 0;
    return H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 2 &&
           H5Tget_order(type) == H5T_ORDER_LE && H5Tget_ebias(type) == 15 &&
           H5Tget_fields(type, &sign, &exponentPos, &exponentBits, &mantissaPos, &mantissaBits) >=
                   0 &&
           sign == 15 && exponentPos == 10 && exponentBits == 5 && mantissaPos == 0 &&
           mantissaBits == 10;
}

// Root attributes that are strings or numeric scalars, as text (model, hook_name, scale...).
herr_t collectAttribute(hid_t location, const char *name, const H5A_info_t *, void *data)
{
    auto *out = static_cast<QMap<QString, QString> *>(data);
    const hdf5::Handle attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
    if (!attribute.valid()) {
        return 0;
    }
    const hdf5::Handle type(H5Aget_type(attribute.id()), H5Tclose);
    const H5T_class_t typeClass = H5Tget_class(type.id());
    const hdf5::Handle space(H5Aget_space(attribute.id()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.id()) != 1) {
        return 0;
    }
    if (typeClass == H5T_STRING) {
        if (H5Tis_variable_str(type.id()) > 0) {
            char *text = nullptr;
            const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
            H5Tset_size(memType.id(), H5T_VARIABLE);
            H5Tset_cset(memType.id(), H5Tget_cset(type.id()));
            if (H5Aread(attribute.id(), memType.id(), &text) >= 0 && text != nullptr) {
                out->insert(QString::fromUtf8(name), QString::fromUtf8(text));
                H5free_memory(text);
            }
        } else {
            const size_t size = H5Tget_size(type.id());
            std::vector<char> buffer(size + 1, '\0');
            if (H5Aread(attribute.id(), type.id(), buffer.data()) >= 0) {
                out->insert(QString::fromUtf8(name), QString::fromUtf8(buffer.data()));
            }
        }
    } else if (typeClass == H5T_FLOAT || typeClass == H5T_INTEGER) {
        double value = 0;
        if (H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, &value) >= 0) {
            out->insert(QString::fromUtf8(name), QString::number(value, 'g', 17));
        }
    }
    return 0;
}

// Opens and checks the dataset; on success the caller owns both handles.
Status openDataset(const QString &path, const QString &dataset, hid_t *fileOut, hid_t *dataOut,
                   int64_t *rows, int64_t *columns)
{
    Result<hid_t> file = hdf5::openReadOnly(path);
    if (!file) {
        return file.status();
    }
    hdf5::Handle fileHandle(file.value(), H5Fclose);
    const QByteArray name = dataset.toUtf8();
    if (H5Lexists(fileHandle.id(), name.constData(), H5P_DEFAULT) <= 0) {
        return Status::invalidInput(
                QStringLiteral("%1: no such dataset").arg(where(path, dataset)));
    }
    hdf5::Handle data(H5Dopen2(fileHandle.id(), name.constData(), H5P_DEFAULT), H5Dclose);
    if (!data.valid()) {
        return Status::invalidInput(QStringLiteral("%1: not a dataset").arg(where(path, dataset)));
    }
    const hdf5::Handle type(H5Dget_type(data.id()), H5Tclose);
    if (H5Tget_class(type.id()) != H5T_FLOAT) {
        return Status::invalidInput(
                QStringLiteral("%1: expected float16/float32 values").arg(where(path, dataset)));
    }
    const hdf5::Handle space(H5Dget_space(data.id()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank != 2) {
        return Status::invalidInput(
                QStringLiteral("%1: expected a rank-2 dataset [N, d], got rank %2")
                        .arg(where(path, dataset))
                        .arg(rank));
    }
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(space.id(), dims, nullptr);
    if (dims[0] == 0 || dims[1] == 0) {
        return Status::invalidInput(QStringLiteral("%1: empty dataset [%2, %3]")
                                            .arg(where(path, dataset))
                                            .arg(dims[0])
                                            .arg(dims[1]));
    }
    *rows = static_cast<int64_t>(dims[0]);
    *columns = static_cast<int64_t>(dims[1]);
    *fileOut = file.value();
    *dataOut = data.id();
    // Ownership passes to the caller: disarm the guards by opening fresh references.
    H5Iinc_ref(*fileOut);
    H5Iinc_ref(*dataOut);
    return Status::ok();
}

}  // namespace

Result<ActivationFileInfo> inspectActivationFile(const QString &path, const QString &dataset)
{
    hid_t file = -1;
    hid_t data = -1;
    ActivationFileInfo info;
    if (Status status = openDataset(path, dataset, &file, &data, &info.rows, &info.columns);
        !status.isOk()) {
        return status;
    }
    const hdf5::Handle fileHandle(file, H5Fclose);
    const hdf5::Handle dataHandle(data, H5Dclose);
    info.path = path;
    info.dataset = dataset;
    hsize_t index = 0;
    H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_NATIVE, &index, collectAttribute, &info.attributes);
    return info;
}

Result<std::unique_ptr<ActivationRowFile>> ActivationRowFile::open(const QString &path,
                                                                   const QString &dataset)
{
    hid_t file = -1;
    hid_t data = -1;
    int64_t rows = 0;
    int64_t columns = 0;
    if (Status status = openDataset(path, dataset, &file, &data, &rows, &columns); !status.isOk()) {
        return status;
    }
    const hdf5::Handle fileType(H5Dget_type(data), H5Tclose);
    const bool half = isIeeeHalf(fileType.id());
    return std::unique_ptr<ActivationRowFile>(
            new ActivationRowFile(path, dataset, file, data, rows, columns, half));
}

ActivationRowFile::ActivationRowFile(QString path, QString dataset, int64_t file, int64_t data,
                                     int64_t rows, int64_t columns, bool half)
    : m_path(std::move(path))
    , m_dataset(std::move(dataset))
    , m_file(file)
    , m_data(data)
    , m_rows(rows)
    , m_columns(columns)
    , m_half(half)
{}

ActivationRowFile::~ActivationRowFile()
{
    H5Dclose(static_cast<hid_t>(m_data));
    H5Fclose(static_cast<hid_t>(m_file));
}

QString ActivationRowFile::describe() const
{
    return where(m_path, m_dataset);
}

Status ActivationRowFile::readRows(int64_t begin, int64_t count, void *out) const
{
    const hid_t data = static_cast<hid_t>(m_data);
    const hdf5::Handle fileType(H5Dget_type(data), H5Tclose);
    const hdf5::Handle fileSpace(H5Dget_space(data), H5Sclose);
    const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
    const hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(m_columns)};
    H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start, nullptr, size, nullptr);
    const hdf5::Handle memSpace(H5Screate_simple(2, size, nullptr), H5Sclose);
    // float64 and other float layouts are converted by the library.
    if (H5Dread(data, m_half ? fileType.id() : H5T_NATIVE_FLOAT, memSpace.id(), fileSpace.id(),
                H5P_DEFAULT, out) < 0) {
        return Status::invalidInput(QStringLiteral("%1: cannot read rows %2..%3")
                                            .arg(describe())
                                            .arg(begin)
                                            .arg(begin + count - 1));
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
