#include "core/hdf5/hdf5_writer.h"

#include "core/hdf5/hdf5_handle.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace gyrus {

namespace {

/// fsync of a file or directory: without it a crash soon after the rename can leave an empty
/// file under the final name (the rename reached the disk before the data).
bool syncToDisk(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced;
}

/// Writes `bytes` to a new file at `path` and fsyncs it. Returns why it failed (strerror: "No
/// space left on device", "File too large"), or empty on success.
QString writeFileDurably(const QString &path, const QByteArray &bytes)
{
    const int fd = ::open(QFile::encodeName(path).constData(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        return QString::fromLocal8Bit(std::strerror(errno));
    }
    const char *data = bytes.constData();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t written = ::write(fd, data, size_t(left));
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            const QString reason =
                    QString::fromLocal8Bit(std::strerror(written < 0 ? errno : ENOSPC));
            ::close(fd);
            return reason;
        }
        data += written;
        left -= written;
    }
    const bool synced = ::fsync(fd) == 0;
    const int syncError = errno;
    if (::close(fd) != 0 || !synced) {
        return QString::fromLocal8Bit(std::strerror(synced ? errno : syncError));
    }
    return {};
}

// Why a write, flush or close of a row file just failed. HDF5 keeps its own error stack, but the
// failed write() left errno behind: named when it is one of the disk's errors, a guess otherwise.
QString diskFailure()
{
    const int error = errno;
    if (error == ENOSPC || error == EFBIG || error == EDQUOT || error == EIO) {
        return QString::fromLocal8Bit(std::strerror(error));
    }
    return QStringLiteral("disk full?");
}

QString where(const QString &path, const QString &dataset)
{
    return QStringLiteral("%1: dataset '/%2'").arg(path, dataset);
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

}  // namespace

Result<std::unique_ptr<Hdf5Writer>> Hdf5Writer::create(const QString &path)
{
    const QFileInfo info(path);
    if (!info.absoluteDir().exists()) {
        return Status::notFound(
                QStringLiteral("cannot write '%1': its directory does not exist").arg(path));
    }
    const QString temporary = path + QStringLiteral(".partial");
    hdf5::prepareLibrary();
    hid_t file = H5I_INVALID_HID;
    H5E_BEGIN_TRY
    {
        // In memory only (no backing store): commit() writes the image itself.
        const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
        if (access >= 0 && H5Pset_fapl_core(access, 1 << 20, false) >= 0) {
            file = H5Fcreate(QFile::encodeName(temporary).constData(), H5F_ACC_TRUNC, H5P_DEFAULT,
                             access);
        }
        if (access >= 0) {
            H5Pclose(access);
        }
    }
    H5E_END_TRY;
    if (file < 0) {
        return Status::invalidInput(QStringLiteral("cannot create HDF5 file '%1'").arg(path));
    }
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(Mode::WholeFile, path, temporary, file));
}

Result<std::unique_ptr<Hdf5Writer>> Hdf5Writer::createRows(const QString &path)
{
    hdf5::prepareLibrary();
    const QByteArray native = QFile::encodeName(path);
    const hid_t file = H5Fcreate(native.constData(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        return Status::invalidInput(QStringLiteral("%1: cannot create the HDF5 file").arg(path));
    }
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(Mode::Rows, path, QString(), file));
}

Result<std::unique_ptr<Hdf5Writer>> Hdf5Writer::openRows(const QString &path)
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
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(Mode::Rows, path, QString(), file));
}

Hdf5Writer::Hdf5Writer(Mode mode, QString path, QString temporaryPath, int64_t file)
    : m_mode(mode)
    , m_path(std::move(path))
    , m_temporaryPath(std::move(temporaryPath))
    , m_file(file)
{}

Hdf5Writer::~Hdf5Writer()
{
    if (m_mode == Mode::Rows) {
        closeRows();  // what was written stays; errors cannot be reported here
        return;
    }
    closeDatasets();
    if (m_file >= 0) {
        H5E_BEGIN_TRY
        {
            H5Fclose(m_file);  // in memory: nothing reaches the disk
        }
        H5E_END_TRY;
    }
}

void Hdf5Writer::closeDatasets()
{
    for (const auto &[name, dataset] : m_datasets) {
        H5Dclose(static_cast<hid_t>(dataset));
    }
    m_datasets.clear();
}

Status Hdf5Writer::writeDataset(const QString &name, const std::vector<int64_t> &shape,
                                int64_t memType, int64_t fileType, const void *data)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    std::vector<hsize_t> dims;
    for (const int64_t size : shape) {
        if (size < 0) {
            return Status::invalidInput(
                    QStringLiteral("dataset '%1': negative dimension %2").arg(name).arg(size));
        }
        dims.push_back(static_cast<hsize_t>(size));
    }
    const QByteArray utf8 = name.toUtf8();
    bool ok = false;
    H5E_BEGIN_TRY
    {
        const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        const hid_t links = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(links, 1);
        const hid_t dataset = H5Dcreate2(m_file, utf8.constData(), fileType, space, links,
                                         H5P_DEFAULT, H5P_DEFAULT);
        if (dataset >= 0) {
            ok = H5Dwrite(dataset, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
            H5Dclose(dataset);
        }
        H5Pclose(links);
        H5Sclose(space);
    }
    H5E_END_TRY;
    if (!ok) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write dataset '%2' (exists already, or disk full?)")
                        .arg(m_path, name));
    }
    return Status::ok();
}

Status Hdf5Writer::writeFloat32(const QString &name, const std::vector<int64_t> &shape,
                                const float *data)
{
    return writeDataset(name, shape, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, data);
}

Status Hdf5Writer::writeInt32(const QString &name, const std::vector<int64_t> &shape,
                              const int32_t *data)
{
    return writeDataset(name, shape, H5T_NATIVE_INT32, H5T_STD_I32LE, data);
}

Status Hdf5Writer::writeFloat64(const QString &name, const std::vector<int64_t> &shape,
                                const double *data)
{
    return writeDataset(name, shape, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, data);
}

namespace {

/// One dataset of variable-length UTF-8 strings in `space` (scalar or 1-D); `pointers` are
/// NUL-terminated and outlive the call. Shared by writeStrings and writeText.
bool writeUtf8Strings(hid_t file, const QByteArray &key, hid_t space, bool empty,
                      const char *const *pointers)
{
    bool ok = false;
    H5E_BEGIN_TRY
    {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        const hid_t links = H5Pcreate(H5P_LINK_CREATE);
        H5Pset_create_intermediate_group(links, 1);
        const hid_t dataset =
                H5Dcreate2(file, key.constData(), type, space, links, H5P_DEFAULT, H5P_DEFAULT);
        if (dataset >= 0) {
            ok = empty || H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers) >= 0;
            H5Dclose(dataset);
        }
        H5Pclose(links);
        H5Tclose(type);
    }
    H5E_END_TRY;
    return ok;
}

}  // namespace

Status Hdf5Writer::writeStrings(const QString &name, const QStringList &values)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    std::vector<QByteArray> texts;  // terminated copies that outlive the write
    std::vector<const char *> pointers;
    texts.reserve(size_t(values.size()));
    for (const QString &value : values) {
        texts.push_back(value.toUtf8());
        pointers.push_back(texts.back().constData());
    }
    const hsize_t count = hsize_t(values.size());
    bool ok = false;
    H5E_BEGIN_TRY
    {
        const hid_t space = H5Screate_simple(1, &count, nullptr);
        ok = writeUtf8Strings(m_file, name.toUtf8(), space, count == 0, pointers.data());
        H5Sclose(space);
    }
    H5E_END_TRY;
    return ok ? Status::ok()
              : Status::invalidInput(
                        QStringLiteral("%1: cannot write dataset '%2' (exists already, or disk "
                                       "full?)")
                                .arg(m_path, name));
}

Status Hdf5Writer::writeText(const QString &name, const QByteArray &utf8)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    const QByteArray text = utf8;  // a terminated copy: HDF5 reads up to the NUL
    const char *pointer = text.constData();
    bool ok = false;
    H5E_BEGIN_TRY
    {
        const hid_t space = H5Screate(H5S_SCALAR);
        ok = writeUtf8Strings(m_file, name.toUtf8(), space, false, &pointer);
        H5Sclose(space);
    }
    H5E_END_TRY;
    return ok ? Status::ok()
              : Status::invalidInput(
                        QStringLiteral("%1: cannot write dataset '%2' (exists already, or disk "
                                       "full?)")
                                .arg(m_path, name));
}

Status Hdf5Writer::createDataset(const QString &name, Type type, int64_t rows, int64_t columns)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    if (rows < 0 || columns < 0) {
        return Status::invalidInput(QStringLiteral("%1: negative shape [%2, %3]")
                                            .arg(where(m_path, name))
                                            .arg(rows)
                                            .arg(columns));
    }
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
    const hdf5::Handle links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(links.id(), 1);
    const hdf5::Handle half(float16Type(), H5Tclose);
    const hid_t fileType = type == Type::Float32   ? H5T_IEEE_F32LE
                           : type == Type::Float16 ? half.id()
                                                   : H5T_STD_I32LE;
    const QByteArray native = name.toUtf8();
    const hid_t data = H5Dcreate2(static_cast<hid_t>(m_file), native.constData(), fileType,
                                  space.id(), links.id(), properties.id(), H5P_DEFAULT);
    if (data < 0) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot create the dataset").arg(where(m_path, name)));
    }
    m_datasets.emplace_back(name, data);
    return Status::ok();
}

Status Hdf5Writer::openDataset(const QString &name)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    const QByteArray native = name.toUtf8();
    if (H5Lexists(static_cast<hid_t>(m_file), native.constData(), H5P_DEFAULT) <= 0) {
        return Status::invalidInput(QStringLiteral("%1: no such dataset").arg(where(m_path, name)));
    }
    const hid_t data = H5Dopen2(static_cast<hid_t>(m_file), native.constData(), H5P_DEFAULT);
    if (data < 0) {
        return Status::invalidInput(QStringLiteral("%1: not a dataset").arg(where(m_path, name)));
    }
    m_datasets.emplace_back(name, data);
    return Status::ok();
}

Status Hdf5Writer::writeRows(const QString &name, int64_t begin, int64_t count, const void *data)
{
    const auto it = std::find_if(m_datasets.begin(), m_datasets.end(),
                                 [&name](const auto &entry) { return entry.first == name; });
    if (it == m_datasets.end()) {
        return Status::internal(QStringLiteral("%1: not created").arg(where(m_path, name)));
    }
    const hid_t dataset = static_cast<hid_t>(it->second);
    const hdf5::Handle fileSpace(H5Dget_space(dataset), H5Sclose);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_ndims(fileSpace.id());
    H5Sget_simple_extent_dims(fileSpace.id(), dims, nullptr);
    if (begin < 0 || count < 0 || hsize_t(begin + count) > dims[0]) {
        return Status::internal(QStringLiteral("%1: rows %2..%3 outside [0, %4)")
                                        .arg(where(m_path, name))
                                        .arg(begin)
                                        .arg(begin + count - 1)
                                        .arg(dims[0]));
    }
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
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    const hid_t file = static_cast<hid_t>(m_file);
    const QByteArray key = name.toUtf8();
    QByteArray text = value.toUtf8();  // terminated: a variable-length write reads to the NUL
    const bool fixedLength = m_mode == Mode::Rows;
    bool ok = false;
    H5E_BEGIN_TRY
    {
        if (H5Aexists(file, key.constData()) > 0) {
            H5Adelete(file, key.constData());
        }
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, fixedLength ? size_t(std::max<qsizetype>(1, text.size())) : H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t attribute =
                H5Acreate2(file, key.constData(), type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attribute >= 0) {
            if (fixedLength) {
                if (text.isEmpty()) {
                    text.append('\0');
                }
                ok = H5Awrite(attribute, type, text.constData()) >= 0;
            } else {
                const char *pointer = text.constData();
                ok = H5Awrite(attribute, type, &pointer) >= 0;
            }
            H5Aclose(attribute);
        }
        H5Sclose(space);
        H5Tclose(type);
    }
    H5E_END_TRY;
    if (ok) {
        return Status::ok();
    }
    const QString message = QStringLiteral("%1: cannot write attribute '%2'").arg(m_path, name);
    return fixedLength ? Status::internal(message) : Status::invalidInput(message);
}

Status Hdf5Writer::setAttribute(const QString &name, double value)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
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
    if (m_mode == Mode::WholeFile && m_file >= 0) {
        return Status::ok();
    }
    if (m_file < 0 || H5Fflush(static_cast<hid_t>(m_file), H5F_SCOPE_GLOBAL) < 0) {
        return Status::internal(
                QStringLiteral("%1: flushing failed (%2)").arg(m_path, diskFailure()));
    }
    return Status::ok();
}

Status Hdf5Writer::closeRows()
{
    closeDatasets();
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

Status Hdf5Writer::commit()
{
    if (m_mode == Mode::Rows) {
        return closeRows();
    }
    return commitWholeFile();
}

Status Hdf5Writer::commitWholeFile()
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    closeDatasets();
    QByteArray image;
    bool built = false;
    H5E_BEGIN_TRY
    {
        if (H5Fflush(m_file, H5F_SCOPE_GLOBAL) >= 0) {
            const ssize_t size = H5Fget_file_image(m_file, nullptr, 0);
            if (size > 0) {
                image.resize(static_cast<qsizetype>(size));
                built = H5Fget_file_image(m_file, image.data(), size_t(size)) == size;
            }
        }
        H5Fclose(m_file);  // in memory: nothing to flush, cannot fail on the disk
    }
    H5E_END_TRY;
    m_file = -1;
    if (!built) {
        return Status::internal(
                QStringLiteral("cannot write '%1': HDF5 could not build the file").arg(m_path));
    }
    const QString failure = writeFileDurably(m_temporaryPath, image);
    if (!failure.isEmpty() || std::rename(QFile::encodeName(m_temporaryPath).constData(),
                                          QFile::encodeName(m_path).constData()) != 0) {
        const QString reason =
                failure.isEmpty() ? QString::fromLocal8Bit(std::strerror(errno)) : failure;
        QFile::remove(m_temporaryPath);
        return Status::invalidInput(QStringLiteral("cannot write '%1': %2").arg(m_path, reason));
    }
    // The rename itself reaches the disk with the directory's entry.
    syncToDisk(QFileInfo(m_path).absolutePath());
    return Status::ok();
}

}  // namespace gyrus
