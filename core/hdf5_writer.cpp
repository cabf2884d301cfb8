#include "core/hdf5_writer.h"

#include "core/hdf5_handle.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <hdf5.h>

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
    return std::unique_ptr<Hdf5Writer>(new Hdf5Writer(path, temporary, file));
}

Hdf5Writer::Hdf5Writer(QString path, QString temporaryPath, int64_t file)
    : m_path(std::move(path))
    , m_temporaryPath(std::move(temporaryPath))
    , m_file(file)
{}

Hdf5Writer::~Hdf5Writer()
{
    if (m_file >= 0) {
        H5E_BEGIN_TRY
        {
            H5Fclose(m_file);  // in memory: nothing reaches the disk
        }
        H5E_END_TRY;
    }
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

Status Hdf5Writer::writeRootAttribute(const QString &name, const QString &value)
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
    const QByteArray key = name.toUtf8();
    const QByteArray text = value.toUtf8();
    const char *pointer = text.constData();
    bool ok = false;
    H5E_BEGIN_TRY
    {
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        const hid_t space = H5Screate(H5S_SCALAR);
        const hid_t attribute =
                H5Acreate2(m_file, key.constData(), type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attribute >= 0) {
            ok = H5Awrite(attribute, type, &pointer) >= 0;
            H5Aclose(attribute);
        }
        H5Sclose(space);
        H5Tclose(type);
    }
    H5E_END_TRY;
    return ok ? Status::ok()
              : Status::invalidInput(
                        QStringLiteral("%1: cannot write attribute '%2'").arg(m_path, name));
}

Status Hdf5Writer::commit()
{
    if (m_file < 0) {
        return Status::internal(QStringLiteral("%1: already committed").arg(m_path));
    }
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
