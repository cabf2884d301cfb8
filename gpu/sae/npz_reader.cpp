#include "gpu/sae/npz_reader.h"

#include <QFile>
#include <QRegularExpression>

#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

namespace gyrus::gpu {

namespace {

// Little-endian field readers over the mapped file; callers check bounds first.
quint64 le(const uchar *p, int bytes)
{
    quint64 value = 0;
    for (int i = bytes - 1; i >= 0; --i) {
        value = (value << 8) | p[i];
    }
    return value;
}

float halfToFloat(quint16 h)
{
    const quint32 sign = (h & 0x8000u) << 16;
    quint32 exponent = (h >> 10) & 0x1fu;
    quint32 mantissa = h & 0x3ffu;
    quint32 bits = 0;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                --exponent;
            }
            bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float value = 0;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
}

Result<NpyEntry> parseNpy(const uchar *data, qint64 size, const QString &where)
{
    if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) {
        return Status::invalidInput(QStringLiteral("%1: not a .npy array").arg(where));
    }
    const int major = data[6];
    if (major < 1 || major > 3 || (major > 1 && size < 12)) {
        return Status::invalidInput(
                QStringLiteral("%1: unknown .npy format version %2").arg(where).arg(major));
    }
    const qint64 headerLength = major == 1 ? qint64(le(data + 8, 2)) : qint64(le(data + 8, 4));
    const qint64 headerStart = major == 1 ? 10 : 12;
    if (headerStart + headerLength > size) {
        return Status::invalidInput(QStringLiteral("%1: truncated .npy header").arg(where));
    }
    const QString header = QString::fromLatin1(reinterpret_cast<const char *>(data + headerStart),
                                               static_cast<int>(headerLength));
    const QRegularExpressionMatch descr =
            QRegularExpression(QStringLiteral("'descr':\\s*'([<>|=]?)([a-z])(\\d+)'"))
                    .match(header);
    const QRegularExpressionMatch shape =
            QRegularExpression(QStringLiteral("'shape':\\s*\\(([^)]*)\\)")).match(header);
    if (!descr.hasMatch() || !shape.hasMatch()) {
        return Status::invalidInput(QStringLiteral("%1: unreadable .npy header").arg(where));
    }
    if (header.contains(QLatin1String("'fortran_order': True"))) {
        return Status::invalidInput(
                QStringLiteral("%1: Fortran-order arrays are not supported").arg(where));
    }
    const QString kind = descr.captured(2);
    const int width = descr.captured(3).toInt();
    if (descr.captured(1) == QLatin1String(">") || kind != QLatin1String("f") ||
        (width != 2 && width != 4 && width != 8)) {
        return Status::invalidInput(
                QStringLiteral("%1: dtype '%2%3' is not supported (little-endian float16/32/64)")
                        .arg(where, kind)
                        .arg(width));
    }
    NpyEntry array;
    qint64 count = 1;
    const qint64 offset = headerStart + headerLength;
    const qint64 available = (size - offset) / width;  // elements the entry can hold
    for (const QString &part : shape.captured(1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool isNumber = false;
        const qint64 dim = part.trimmed().toLongLong(&isNumber);
        if (!isNumber || dim < 0) {
            return Status::invalidInput(QStringLiteral("%1: bad dimension '%2' in the shape")
                                                .arg(where, part.trimmed()));
        }
        array.shape.append(dim);
        // Checked as it grows, so a huge claimed shape cannot overflow the product.
        if (dim != 0 && count > available / dim) {
            return Status::invalidInput(QStringLiteral("%1: array data is truncated").arg(where));
        }
        count *= dim;
    }
    if (count > available) {  // a scalar (shape ()) needs one element too
        return Status::invalidInput(QStringLiteral("%1: array data is truncated").arg(where));
    }
    array.count = count;
    array.width = width;
    array.data = data + offset;
    return array;
}

}  // namespace

Result<NpzArchive> NpzArchive::open(const QString &path)
{
    auto file = std::make_shared<QFile>(path);
    if (!file->exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (!file->open(QIODevice::ReadOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot read").arg(path));
    }
    const qint64 size = file->size();
    const uchar *data = file->map(0, size);
    if (data == nullptr || size < 22) {
        return Status::invalidInput(QStringLiteral("%1: not a zip (.npz) archive").arg(path));
    }
    // End of central directory: the last "PK\5\6" record (a comment may follow it).
    qint64 eocd = -1;
    for (qint64 i = size - 22; i >= 0 && i >= size - 22 - 65535; --i) {
        if (le(data + i, 4) == 0x06054b50u) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0) {
        return Status::invalidInput(QStringLiteral("%1: not a zip (.npz) archive").arg(path));
    }
    quint64 entries = le(data + eocd + 10, 2);
    quint64 directory = le(data + eocd + 16, 4);
    if ((entries == 0xffff || directory == 0xffffffffu) && eocd >= 20 &&
        le(data + eocd - 20, 4) == 0x07064b50u) {
        const quint64 record = le(data + eocd - 20 + 8, 8);  // zip64 end of central directory
        if (record + 56 > static_cast<quint64>(size) || le(data + record, 4) != 0x06064b50u) {
            return Status::invalidInput(QStringLiteral("%1: corrupt zip64 directory").arg(path));
        }
        entries = le(data + record + 32, 8);
        directory = le(data + record + 48, 8);
    }
    NpzArchive archive;
    archive.m_file = file;
    archive.m_path = path;
    quint64 at = directory;
    for (quint64 e = 0; e < entries; ++e) {
        if (at + 46 > static_cast<quint64>(size) || le(data + at, 4) != 0x02014b50u) {
            return Status::invalidInput(QStringLiteral("%1: corrupt zip directory").arg(path));
        }
        const uchar *entry = data + at;
        if (at + 46 + le(entry + 28, 2) + le(entry + 30, 2) + le(entry + 32, 2) >
            static_cast<quint64>(size)) {
            return Status::invalidInput(QStringLiteral("%1: corrupt zip directory").arg(path));
        }
        const quint64 method = le(entry + 10, 2);
        quint64 compressed = le(entry + 20, 4);
        quint64 uncompressed = le(entry + 24, 4);
        const quint64 nameLength = le(entry + 28, 2);
        const quint64 extraLength = le(entry + 30, 2);
        const quint64 commentLength = le(entry + 32, 2);
        quint64 local = le(entry + 42, 4);
        const QString name = QString::fromUtf8(reinterpret_cast<const char *>(entry + 46),
                                               static_cast<int>(nameLength));
        // Zip64 extra field: 64-bit values for the fields saturated above, in this order.
        const uchar *extra = entry + 46 + nameLength;
        for (quint64 x = 0; x + 4 <= extraLength;) {
            const quint64 id = le(extra + x, 2);
            const quint64 length = le(extra + x + 2, 2);
            const quint64 end = x + 4 + length;  // each 8-byte value must lie inside the field
            if (end > extraLength) {
                return Status::invalidInput(
                        QStringLiteral("%1: corrupt zip extra field of '%2'").arg(path, name));
            }
            if (id == 0x0001) {
                quint64 field = x + 4;
                if (uncompressed == 0xffffffffu && field + 8 <= end) {
                    uncompressed = le(extra + field, 8);
                    field += 8;
                }
                if (compressed == 0xffffffffu && field + 8 <= end) {
                    compressed = le(extra + field, 8);
                    field += 8;
                }
                if (local == 0xffffffffu && field + 8 <= end) {
                    local = le(extra + field, 8);
                }
            }
            x = end;
        }
        if (method != 0) {
            return Status::invalidInput(
                    QStringLiteral("%1: '%2' is compressed (np.savez_compressed); re-save the "
                                   "arrays with np.savez")
                            .arg(path, name));
        }
        if (local > static_cast<quint64>(size) - 30 || le(data + local, 4) != 0x04034b50u) {
            return Status::invalidInput(
                    QStringLiteral("%1: corrupt zip entry '%2'").arg(path, name));
        }
        const quint64 start = local + 30 + le(data + local + 26, 2) + le(data + local + 28, 2);
        if (start > static_cast<quint64>(size) ||
            uncompressed > static_cast<quint64>(size) - start) {
            return Status::invalidInput(QStringLiteral("%1: truncated entry '%2'").arg(path, name));
        }
        Result<NpyEntry> array = parseNpy(data + start, static_cast<qint64>(uncompressed),
                                          QStringLiteral("%1: '%2'").arg(path, name));
        if (!array) {
            return array.status();
        }
        QString key = name;
        if (key.endsWith(QLatin1String(".npy"))) {
            key.chop(4);
        }
        archive.m_entries.insert(key, std::move(array).value());
        at += 46 + nameLength + extraLength + commentLength;
    }
    return archive;
}

const NpyEntry *NpzArchive::entry(const QString &name) const
{
    const auto found = m_entries.constFind(name);
    return found == m_entries.constEnd() ? nullptr : &found.value();
}

void NpzArchive::copyValues(const NpyEntry &entry, qint64 begin, qint64 count, float *out,
                            bool release) const
{
    const uchar *p = entry.data + begin * entry.width;
    for (qint64 i = 0; i < count; ++i) {
        if (entry.width == 4) {
            std::memcpy(out + i, p + 4 * i, 4);
        } else if (entry.width == 2) {
            out[i] = halfToFloat(static_cast<quint16>(le(p + 2 * i, 2)));
        } else {
            double value = 0;
            std::memcpy(&value, p + 8 * i, 8);
            out[i] = static_cast<float>(value);
        }
    }
    if (release && count > 0) {
        static const auto page = quintptr(sysconf(_SC_PAGESIZE));
        const auto from = (reinterpret_cast<quintptr>(p) + page - 1) / page * page;
        const auto to =
                (reinterpret_cast<quintptr>(p) + quintptr(count * entry.width)) / page * page;
        if (to > from) {
            madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
        }
    }
}

Result<QMap<QString, NpyArray>> readNpz(const QString &path)
{
    Result<NpzArchive> archive = NpzArchive::open(path);
    if (!archive) {
        return archive.status();
    }
    QMap<QString, NpyArray> arrays;
    for (const QString &name : archive.value().names()) {
        const NpyEntry &entry = *archive.value().entry(name);
        NpyArray array;
        array.shape = entry.shape;
        array.values.resize(static_cast<size_t>(entry.count));
        archive.value().copyValues(entry, 0, entry.count, array.values.data(), false);
        arrays.insert(name, std::move(array));
    }
    return arrays;
}

}  // namespace gyrus::gpu
