#include "core/hdf5/hdf5_reader.h"

#include "core/hdf5/hdf5_handle.h"

#include <QFile>
#include <QFileInfo>

#include <cmath>

namespace gyrus {

namespace {

QString where(const QString &path, const QString &name)
{
    return QStringLiteral("%1: dataset '%2'").arg(path, name);
}

}  // namespace

Result<hid_t> hdf5::openReadOnly(const QString &path)
{
    prepareLibrary();
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

Result<std::shared_ptr<Hdf5Reader>> Hdf5Reader::open(const QString &path)
{
    Result<hid_t> file = hdf5::openReadOnly(path);
    if (!file) {
        return file.status();
    }
    return std::shared_ptr<Hdf5Reader>(new Hdf5Reader(path, file.value()));
}

Hdf5Reader::Hdf5Reader(QString path, int64_t file)
    : m_path(std::move(path))
    , m_file(file)
{}

Hdf5Reader::~Hdf5Reader()
{
    if (m_file >= 0) {
        H5Fclose(m_file);
    }
}

bool Hdf5Reader::hasDataset(const QString &name) const
{
    const QByteArray utf8 = name.toUtf8();
    if (utf8.isEmpty() || H5Lexists(m_file, utf8.constData(), H5P_DEFAULT) <= 0) {
        return false;
    }
    H5O_info_t info;
    if (H5Oget_info_by_name(m_file, utf8.constData(), &info, H5P_DEFAULT) < 0) {
        return false;
    }
    return info.type == H5O_TYPE_DATASET;
}

Result<std::vector<int64_t>> Hdf5Reader::shape(const QString &name) const
{
    if (!hasDataset(name)) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" does not exist"));
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle space(H5Dget_space(dataset.id()), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank < 0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" has no simple shape"));
    }
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
    return std::vector<int64_t>(dims.begin(), dims.end());
}

Result<FloatMatrix> Hdf5Reader::readFloatMatrix(const QString &name) const
{
    const Result<std::vector<int64_t>> dims = shape(name);
    if (!dims) {
        return dims.status();
    }
    if (dims->size() != 1 && dims->size() != 2) {
        return Status::invalidInput(where(m_path, name) +
                                    QStringLiteral(": expected a 2-D [items, features] array, got "
                                                   "%1 dimensions")
                                            .arg(dims->size()));
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
    const H5T_class_t typeClass = H5Tget_class(type.id());
    if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" is not numeric"));
    }
    FloatMatrix matrix;
    matrix.rows = (*dims)[0];
    matrix.cols = dims->size() == 2 ? (*dims)[1] : 1;
    matrix.values.resize(static_cast<size_t>(matrix.rows * matrix.cols));
    if (!matrix.values.empty() && H5Dread(dataset.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                          H5P_DEFAULT, matrix.values.data()) < 0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
    }
    return matrix;
}

Result<std::vector<double>> Hdf5Reader::readDoubles(const QString &name) const
{
    const Result<std::vector<int64_t>> dims = shape(name);
    if (!dims) {
        return dims.status();
    }
    int64_t count = 1;
    for (int64_t dim : *dims) {
        count *= dim;
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
    const H5T_class_t typeClass = H5Tget_class(type.id());
    if (typeClass != H5T_FLOAT && typeClass != H5T_INTEGER) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" is not numeric"));
    }
    std::vector<double> values(static_cast<size_t>(count));
    if (count > 0 && H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             values.data()) < 0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
    }
    return values;
}

Result<std::vector<int64_t>> Hdf5Reader::readIntVector(const QString &name) const
{
    const Result<std::vector<int64_t>> dims = shape(name);
    if (!dims) {
        return dims.status();
    }
    if (dims->size() != 1) {
        return Status::invalidInput(
                where(m_path, name) +
                QStringLiteral(": expected a 1-D array, got %1 dimensions").arg(dims->size()));
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
    const H5T_class_t typeClass = H5Tget_class(type.id());
    std::vector<int64_t> out(static_cast<size_t>((*dims)[0]));
    if (out.empty()) {
        return out;
    }
    if (typeClass == H5T_INTEGER) {
        if (H5Dread(dataset.id(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) <
            0) {
            return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
        }
        return out;
    }
    if (typeClass != H5T_FLOAT) {
        return Status::invalidInput(where(m_path, name) +
                                    QStringLiteral(" is not an integer array"));
    }
    std::vector<double> values(out.size());
    if (H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) <
        0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
    }
    for (size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i]) || values[i] != std::round(values[i])) {
            return Status::invalidInput(
                    where(m_path, name) +
                    QStringLiteral(": element %1 is %2, not a whole number").arg(i).arg(values[i]));
        }
        out[i] = static_cast<int64_t>(values[i]);
    }
    return out;
}

Result<QStringList> Hdf5Reader::readStrings(const QString &name) const
{
    const Result<std::vector<int64_t>> dims = shape(name);
    if (!dims) {
        return dims.status();
    }
    if (dims->size() != 1) {
        return Status::invalidInput(
                where(m_path, name) +
                QStringLiteral(": expected a 1-D array, got %1 dimensions").arg(dims->size()));
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
    const H5T_class_t typeClass = H5Tget_class(type.id());
    const size_t count = static_cast<size_t>((*dims)[0]);
    QStringList out;
    if (typeClass == H5T_INTEGER || typeClass == H5T_FLOAT) {
        const Result<std::vector<int64_t>> numbers = readIntVector(name);
        if (!numbers) {
            return numbers.status();
        }
        for (int64_t value : *numbers) {
            out.append(QString::number(value));
        }
        return out;
    }
    if (typeClass != H5T_STRING) {
        return Status::invalidInput(where(m_path, name) +
                                    QStringLiteral(" is neither strings nor integers"));
    }
    if (count == 0) {
        return out;
    }
    if (H5Tis_variable_str(type.id()) > 0) {
        const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(memType.id(), H5T_VARIABLE);
        H5Tset_cset(memType.id(), H5T_CSET_UTF8);
        std::vector<char *> strings(count, nullptr);
        if (H5Dread(dataset.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, strings.data()) <
            0) {
            return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
        }
        for (char *s : strings) {
            out.append(QString::fromUtf8(s ? s : ""));
        }
        const hdf5::Handle space(H5Dget_space(dataset.id()), H5Sclose);
        H5Dvlen_reclaim(memType.id(), space.id(), H5P_DEFAULT, strings.data());
        return out;
    }
    const size_t width = H5Tget_size(type.id());
    const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memType.id(), width);
    // The file's character set: HDF5 converts no strings between ASCII and UTF-8 (the read
    // fails), and h5py and the activation cache write fixed-length strings as UTF-8.
    H5Tset_cset(memType.id(), H5Tget_cset(type.id()));
    std::vector<char> buffer(count * width, '\0');
    if (H5Dread(dataset.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
    }
    for (size_t i = 0; i < count; ++i) {
        const char *start = buffer.data() + i * width;
        out.append(QString::fromUtf8(start, static_cast<int>(qstrnlen(start, width))));
    }
    return out;
}

Result<QByteArray> Hdf5Reader::readText(const QString &name) const
{
    const Result<std::vector<int64_t>> dims = shape(name);
    if (!dims) {
        return dims.status();
    }
    if (!dims->empty() && !(dims->size() == 1 && (*dims)[0] == 1)) {
        return Status::invalidInput(where(m_path, name) +
                                    QStringLiteral(": expected one string, got an array"));
    }
    const hdf5::Handle dataset(H5Dopen2(m_file, name.toUtf8().constData(), H5P_DEFAULT), H5Dclose);
    const hdf5::Handle type(H5Dget_type(dataset.id()), H5Tclose);
    if (H5Tget_class(type.id()) != H5T_STRING) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" is not a string"));
    }
    const hdf5::Handle space(H5Dget_space(dataset.id()), H5Sclose);
    if (H5Tis_variable_str(type.id()) > 0) {
        const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(memType.id(), H5T_VARIABLE);
        H5Tset_cset(memType.id(), H5T_CSET_UTF8);
        char *text = nullptr;
        if (H5Dread(dataset.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0) {
            return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
        }
        QByteArray out(text ? text : "");
        H5Dvlen_reclaim(memType.id(), space.id(), H5P_DEFAULT, &text);
        return out;
    }
    const size_t width = H5Tget_size(type.id());
    const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memType.id(), width);
    // The file's character set: HDF5 converts no strings between ASCII and UTF-8 (the read
    // fails), and h5py and the activation cache write fixed-length strings as UTF-8.
    H5Tset_cset(memType.id(), H5Tget_cset(type.id()));
    QByteArray buffer(static_cast<int>(width), '\0');
    if (H5Dread(dataset.id(), memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
        return Status::invalidInput(where(m_path, name) + QStringLiteral(" could not be read"));
    }
    return QByteArray(buffer.constData(), static_cast<int>(qstrnlen(buffer.constData(), width)));
}

Result<QString> Hdf5Reader::readRootAttribute(const QString &name) const
{
    const QByteArray key = name.toUtf8();
    if (H5Aexists(m_file, key.constData()) <= 0) {
        return Status::notFound(QStringLiteral("%1: no attribute '%2'").arg(m_path, name));
    }
    const hdf5::Handle attribute(H5Aopen(m_file, key.constData(), H5P_DEFAULT), H5Aclose);
    const hdf5::Handle type(H5Aget_type(attribute.id()), H5Tclose);
    if (H5Tget_class(type.id()) != H5T_STRING) {
        return Status::invalidInput(
                QStringLiteral("%1: attribute '%2' is not a string").arg(m_path, name));
    }
    // HDF5 writes one string per element of the attribute's dataspace into the buffer given
    // it: a damaged file that declares several would overrun the one-string buffer below.
    const hdf5::Handle space(H5Aget_space(attribute.id()), H5Sclose);
    const hssize_t elements = H5Sget_simple_extent_npoints(space.id());
    if (elements != 1) {
        return Status::invalidInput(QStringLiteral("%1: attribute '%2' holds %3 elements, not "
                                                   "one string")
                                            .arg(m_path, name)
                                            .arg(elements));
    }
    if (H5Tis_variable_str(type.id()) > 0) {
        const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(memType.id(), H5T_VARIABLE);
        H5Tset_cset(memType.id(), H5T_CSET_UTF8);
        char *text = nullptr;
        if (H5Aread(attribute.id(), memType.id(), &text) < 0) {
            H5free_memory(text);  // a conversion that failed late may have allocated it
            return Status::invalidInput(
                    QStringLiteral("%1: attribute '%2' could not be read").arg(m_path, name));
        }
        const QString out = QString::fromUtf8(text ? text : "");
        H5free_memory(text);
        return out;
    }
    const size_t width = H5Tget_size(type.id());
    const hdf5::Handle memType(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memType.id(), width);
    // The file's character set: HDF5 converts no strings between ASCII and UTF-8 (the read
    // fails), and h5py and the activation cache write fixed-length strings as UTF-8.
    H5Tset_cset(memType.id(), H5Tget_cset(type.id()));
    QByteArray buffer(static_cast<int>(width), '\0');
    if (H5Aread(attribute.id(), memType.id(), buffer.data()) < 0) {
        return Status::invalidInput(
                QStringLiteral("%1: attribute '%2' could not be read").arg(m_path, name));
    }
    return QString::fromUtf8(buffer.constData(),
                             static_cast<int>(qstrnlen(buffer.constData(), width)));
}

QStringList Hdf5Reader::memberNames(const QString &group) const
{
    QStringList names;
    const QByteArray utf8 = group.toUtf8();
    if (utf8.isEmpty() || H5Lexists(m_file, utf8.constData(), H5P_DEFAULT) <= 0) {
        return names;
    }
    const hdf5::Handle handle(H5Gopen2(m_file, utf8.constData(), H5P_DEFAULT), H5Gclose);
    if (!handle.valid()) {
        return names;
    }
    H5G_info_t info;
    if (H5Gget_info(handle.id(), &info) < 0) {
        return names;
    }
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t size = H5Lget_name_by_idx(handle.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i,
                                                nullptr, 0, H5P_DEFAULT);
        if (size < 0) {
            continue;
        }
        std::vector<char> name(static_cast<size_t>(size) + 1, '\0');
        H5Lget_name_by_idx(handle.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                           name.size(), H5P_DEFAULT);
        names.append(QString::fromUtf8(name.data(), static_cast<int>(size)));
    }
    names.sort();
    return names;
}

}  // namespace gyrus
