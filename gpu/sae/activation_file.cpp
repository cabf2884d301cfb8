#include "gpu/sae/activation_file.h"

#include "core/hdf5_handle.h"
#include "gpu/detail/activation_source.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <vector>

namespace gyrus::gpu {

namespace {

QString where(const QString &path, const QString &dataset)
{
    return QStringLiteral("%1: dataset '/%2'").arg(path, dataset);
}

// Why a write, flush or close just failed. HDF5 keeps its own error stack, but the failed write()
// left errno behind: named when it is one of the disk's errors, a guess otherwise.
QString diskFailure()
{
    const int error = errno;
    if (error == ENOSPC || error == EFBIG || error == EDQUOT || error == EIO) {
        return QString::fromLocal8Bit(std::strerror(error));
    }
    return QStringLiteral("disk full?");
}

// IEEE binary16 as h5py declares it (HDF5 1.10 has no predefined half type).
// The caller closes it (H5Tclose).
hid_t float16Type()
{
    const hid_t type = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(type, 15, 10, 5, 0, 10);
    H5Tset_size(type, 2);
    H5Tset_ebias(type, 15);
    return type;
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

Result<hid_t> openFile(const QString &path)
{
    hdf5::prepareLibrary();
    if (!QFileInfo::exists(path)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    const QByteArray native = QFile::encodeName(path);
    if (H5Fis_hdf5(native.constData()) <= 0) {
        return Status::invalidInput(QStringLiteral("%1: not an HDF5 file").arg(path));
    }
    const hid_t file = H5Fopen(native.constData(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        return Status::invalidInput(QStringLiteral("%1: cannot open as HDF5").arg(path));
    }
    return file;
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

class Hdf5RowReader final : public detail::RowReader
{
public:
    Hdf5RowReader(QString path, QString dataset, hid_t file, hid_t data, int64_t rows,
                  int64_t columns)
        : m_path(std::move(path))
        , m_dataset(std::move(dataset))
        , m_file(file)
        , m_data(data)
        , m_rows(rows)
        , m_columns(columns)
    {}

    ~Hdf5RowReader() override
    {
        H5Dclose(m_data);
        H5Fclose(m_file);
    }

    int64_t rows() const override { return m_rows; }

    int64_t columns() const override { return m_columns; }

    QString describe() const override { return where(m_path, m_dataset); }

    Result<at::Tensor> read(int64_t begin, int64_t count) override
    {
        const hdf5::Handle fileType(H5Dget_type(m_data), H5Tclose);
        // float16 (2-byte IEEE, as h5py and gyrus-cli cache write it) is read as stored and
        // widened by torch, which is many times faster than the library's soft conversion;
        // float64 is converted by the library.
        const bool half = isIeeeHalf(fileType.id());
        at::Tensor out = at::empty({count, m_columns},
                                   at::TensorOptions().dtype(half ? at::kHalf : at::kFloat));
        const hdf5::Handle fileSpace(H5Dget_space(m_data), H5Sclose);
        const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
        const hsize_t size[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(m_columns)};
        H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start, nullptr, size, nullptr);
        const hdf5::Handle memSpace(H5Screate_simple(2, size, nullptr), H5Sclose);
        if (H5Dread(m_data, half ? fileType.id() : H5T_NATIVE_FLOAT, memSpace.id(), fileSpace.id(),
                    H5P_DEFAULT, out.data_ptr()) < 0) {
            return Status::invalidInput(QStringLiteral("%1: cannot read rows %2..%3")
                                                .arg(describe())
                                                .arg(begin)
                                                .arg(begin + count - 1));
        }
        return half ? out.to(at::kFloat) : out;
    }

private:
    QString m_path;
    QString m_dataset;
    hid_t m_file;
    hid_t m_data;
    int64_t m_rows;
    int64_t m_columns;
};

// Opens and checks the dataset; on success the caller owns both handles.
Status openDataset(const QString &path, const QString &dataset, hid_t *fileOut, hid_t *dataOut,
                   int64_t *rows, int64_t *columns)
{
    Result<hid_t> file = openFile(path);
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

namespace detail {

Result<std::shared_ptr<RowReader>> openActivationRows(const QString &path, const QString &dataset)
{
    hid_t file = -1;
    hid_t data = -1;
    int64_t rows = 0;
    int64_t columns = 0;
    if (Status status = openDataset(path, dataset, &file, &data, &rows, &columns); !status.isOk()) {
        return status;
    }
    return std::shared_ptr<detail::RowReader>(
            std::make_shared<Hdf5RowReader>(path, dataset, file, data, rows, columns));
}

detail::ShuffleOptions activationShuffle(bool shuffle, uint64_t seed)
{
    detail::ShuffleOptions options;
    options.shuffle = shuffle;
    options.seed = seed;
    // Blocks of 1024 rows, 64 at a time: a 65k-row shuffle buffer (SAEBench uses 250k; the
    // random block order mixes documents across the whole file).
    options.blockRows = 1024;
    options.windowBlocks = 64;
    return options;
}

}  // namespace detail

Result<std::shared_ptr<detail::ActivationSource>> openActivationFile(const QString &path,
                                                                     const QString &dataset,
                                                                     bool shuffle, uint64_t seed)
{
    Result<std::shared_ptr<detail::RowReader>> reader = detail::openActivationRows(path, dataset);
    if (!reader) {
        return reader.status();
    }
    return std::shared_ptr<detail::ActivationSource>(std::make_shared<detail::ShuffledRowSource>(
            std::move(reader).value(), detail::activationShuffle(shuffle, seed)));
}

Result<std::unique_ptr<Hdf5Writer>> Hdf5Writer::create(const QString &path)
{
    hdf5::prepareLibrary();
    const QByteArray native = QFile::encodeName(path);
    const hid_t file = H5Fcreate(native.constData(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        return Status::invalidInput(QStringLiteral("%1: cannot create the HDF5 file").arg(path));
    }
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(path, file));
}

Result<std::unique_ptr<Hdf5Writer>> Hdf5Writer::openForUpdate(const QString &path)
{
    hdf5::prepareLibrary();
    const QByteArray native = QFile::encodeName(path);
    if (H5Fis_hdf5(native.constData()) <= 0) {
        return Status::invalidInput(QStringLiteral("%1: not an HDF5 file").arg(path));
    }
    const hid_t file = H5Fopen(native.constData(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open the HDF5 file for writing").arg(path));
    }
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(path, file));
}

Hdf5Writer::Hdf5Writer(QString path, int64_t file)
    : m_path(std::move(path))
    , m_file(file)
{}

Hdf5Writer::~Hdf5Writer()
{
    close();
}

Status Hdf5Writer::createDataset(const QString &name, Type type, int64_t rows, int64_t columns)
{
    // columns == 0: a rank-1 dataset [rows] (token ids, positions).
    const int rank = columns > 0 ? 2 : 1;
    const hsize_t dims[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(columns)};
    const hdf5::Handle space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
    const hdf5::Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (rows > 0) {
        const hsize_t chunk[2] = {
                static_cast<hsize_t>(std::min<int64_t>(rows, rank == 2 ? 1024 : 65536)),
                static_cast<hsize_t>(columns)};
        H5Pset_chunk(properties.id(), rank, chunk);
    }
    const hdf5::Handle half(float16Type(), H5Tclose);
    const hid_t fileType = type == Type::Float32   ? H5T_IEEE_F32LE
                           : type == Type::Float16 ? half.id()
                                                   : H5T_STD_I32LE;
    const QByteArray native = name.toUtf8();
    const hid_t data = H5Dcreate2(static_cast<hid_t>(m_file), native.constData(), fileType,
                                  space.id(), H5P_DEFAULT, properties.id(), H5P_DEFAULT);
    if (data < 0) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the dataset").arg(where(m_path, name)));
    }
    m_datasets.insert(name, data);
    return Status::ok();
}

Status Hdf5Writer::openDataset(const QString &name)
{
    const QByteArray native = name.toUtf8();
    if (H5Lexists(static_cast<hid_t>(m_file), native.constData(), H5P_DEFAULT) <= 0) {
        return Status::invalidInput(QStringLiteral("%1: no such dataset").arg(where(m_path, name)));
    }
    const hid_t data = H5Dopen2(static_cast<hid_t>(m_file), native.constData(), H5P_DEFAULT);
    if (data < 0) {
        return Status::invalidInput(QStringLiteral("%1: not a dataset").arg(where(m_path, name)));
    }
    m_datasets.insert(name, data);
    return Status::ok();
}

Status Hdf5Writer::writeRows(const QString &name, int64_t begin, int64_t count, const void *data)
{
    const auto it = m_datasets.constFind(name);
    if (it == m_datasets.constEnd()) {
        return Status::internal(QStringLiteral("%1: not created").arg(where(m_path, name)));
    }
    const hid_t dataset = static_cast<hid_t>(it.value());
    const hdf5::Handle fileSpace(H5Dget_space(dataset), H5Sclose);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_ndims(fileSpace.id());
    H5Sget_simple_extent_dims(fileSpace.id(), dims, nullptr);
    const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
    const hsize_t size[2] = {static_cast<hsize_t>(count), dims[1]};
    H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start, nullptr, size, nullptr);
    const hdf5::Handle memSpace(H5Screate_simple(rank, size, nullptr), H5Sclose);
    const hdf5::Handle type(H5Dget_type(dataset), H5Tclose);
    // Half-precision data arrives already rounded (2-byte values in the file's own type).
    const bool isFloat = H5Tget_class(type.id()) == H5T_FLOAT;
    const hid_t memType = !isFloat                      ? H5T_NATIVE_INT32
                          : H5Tget_size(type.id()) == 2 ? type.id()
                                                        : H5T_NATIVE_FLOAT;
    if (H5Dwrite(dataset, memType, memSpace.id(), fileSpace.id(), H5P_DEFAULT, data) < 0) {
        return Status::internal(
                QStringLiteral("%1: write failed (%2)").arg(where(m_path, name), diskFailure()));
    }
    return Status::ok();
}

Status Hdf5Writer::setAttribute(const QString &name, const QString &value)
{
    const QByteArray bytes = value.toUtf8();
    const hdf5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.id(), static_cast<size_t>(std::max<qsizetype>(1, bytes.size())));
    H5Tset_cset(type.id(), H5T_CSET_UTF8);
    const hdf5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    const QByteArray native = name.toUtf8();
    if (H5Aexists(static_cast<hid_t>(m_file), native.constData()) > 0) {
        H5Adelete(static_cast<hid_t>(m_file), native.constData());
    }
    const hdf5::Handle attribute(H5Acreate2(static_cast<hid_t>(m_file), native.constData(),
                                            type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                                 H5Aclose);
    QByteArray padded = bytes;
    if (padded.isEmpty()) {
        padded.append('\0');
    }
    if (!attribute.valid() || H5Awrite(attribute.id(), type.id(), padded.constData()) < 0) {
        return Status::internal(
                QStringLiteral("%1: cannot write attribute '%2'").arg(m_path, name));
    }
    return Status::ok();
}

Status Hdf5Writer::setAttribute(const QString &name, double value)
{
    const hdf5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    const QByteArray native = name.toUtf8();
    // Progress counters are rewritten after every batch: write in place when the attribute
    // exists (no delete/create churn in the attribute heap).
    const bool exists = H5Aexists(static_cast<hid_t>(m_file), native.constData()) > 0;
    const hdf5::Handle attribute(
            exists ? H5Aopen(static_cast<hid_t>(m_file), native.constData(), H5P_DEFAULT)
                   : H5Acreate2(static_cast<hid_t>(m_file), native.constData(), H5T_IEEE_F64LE,
                                space.id(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose);
    if (!attribute.valid() || H5Awrite(attribute.id(), H5T_NATIVE_DOUBLE, &value) < 0) {
        return Status::internal(
                QStringLiteral("%1: cannot write attribute '%2'").arg(m_path, name));
    }
    return Status::ok();
}

Status Hdf5Writer::flush()
{
    if (m_file < 0 || H5Fflush(static_cast<hid_t>(m_file), H5F_SCOPE_GLOBAL) < 0) {
        return Status::internal(
                QStringLiteral("%1: flushing failed (%2)").arg(m_path, diskFailure()));
    }
    return Status::ok();
}

Status Hdf5Writer::close()
{
    for (const int64_t dataset : std::as_const(m_datasets)) {
        H5Dclose(static_cast<hid_t>(dataset));
    }
    m_datasets.clear();
    if (m_file < 0) {
        return Status::ok();
    }
    const herr_t closed = H5Fclose(static_cast<hid_t>(m_file));
    m_file = -1;
    if (closed < 0) {
        return Status::internal(
                QStringLiteral("%1: closing failed (%2)").arg(m_path, diskFailure()));
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
