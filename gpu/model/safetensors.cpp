#include "gpu/model/safetensors.h"

#include "core/base/file_write.h"
#include "gpu/model/mapped_file_guard.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSaveFile>
#include <QSet>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace gyrus::gpu {

namespace {

using Json = nlohmann::json;

// The Rust reference implementation refuses headers above 100 MB: a larger one is corruption or
// an attack, and parsing it would cost more memory than any real checkpoint needs.
constexpr qint64 kMaxHeaderBytes = 100LL * 1024 * 1024;

const char *const kIndexFileName = "model.safetensors.index.json";

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// Names of safetensors dtypes we recognise but do not load, so that the message can tell
// "unsupported" (a valid file we cannot use) from "unknown" (not a safetensors dtype at all).
bool isKnownUnsupportedDtype(const QString &name)
{
    static const QStringList known = {
            QStringLiteral("F64"),     QStringLiteral("I8"),      QStringLiteral("U8"),
            QStringLiteral("I16"),     QStringLiteral("U16"),     QStringLiteral("U32"),
            QStringLiteral("U64"),     QStringLiteral("BOOL"),    QStringLiteral("F8_E4M3"),
            QStringLiteral("F8_E5M2"), QStringLiteral("F8_E8M0"), QStringLiteral("F4"),
            QStringLiteral("F6_E2M3"), QStringLiteral("F6_E3M2"), QStringLiteral("C64")};
    return known.contains(name);
}

QString supportedDtypes()
{
    return QStringLiteral("F32, F16, BF16, I32, I64");
}

bool isPickleName(const QString &fileName)
{
    static const QStringList suffixes = {QStringLiteral(".bin"), QStringLiteral(".pt"),
                                         QStringLiteral(".pth"), QStringLiteral(".ckpt"),
                                         QStringLiteral(".pkl"), QStringLiteral(".pickle")};
    return std::any_of(suffixes.begin(), suffixes.end(), [&](const QString &suffix) {
        return fileName.endsWith(suffix, Qt::CaseInsensitive);
    });
}

Status pickleRefused(const QString &what)
{
    return Status::invalidInput(
            QStringLiteral(
                    "%1: PyTorch pickle checkpoints (.bin/.pt/.pth/.ckpt) are not supported: "
                    "loading a pickle can execute arbitrary code. Convert the checkpoint "
                    "to safetensors (e.g. in Python: model.save_pretrained(dir, "
                    "safe_serialization=True))")
                    .arg(what));
}

// One mapped file, guarded against truncation while mapped (mapped_file_guard.h) and unmapped
// when the QFile is destroyed.
struct Mapping
{
    std::unique_ptr<QFile> file;
    const uchar *base = nullptr;
    qint64 size = 0;

    Mapping() = default;

    Mapping(Mapping &&other) noexcept
        : file(std::move(other.file))
        , base(std::exchange(other.base, nullptr))
        , size(other.size)
    {}

    Mapping &operator=(Mapping &&other) noexcept
    {
        if (this != &other) {
            release();
            file = std::move(other.file);
            base = std::exchange(other.base, nullptr);
            size = other.size;
        }
        return *this;
    }

    ~Mapping() { release(); }

    void release()
    {
        if (base != nullptr) {
            unguardMapping(base);
            base = nullptr;
        }
        file.reset();
    }
};

struct ParsedFile
{
    Mapping mapping;
    QMap<QString, QString> metadata;
    QList<TensorInfo> tensors;
};

Result<qint64> checkedNumel(const QVector<qint64> &shape)
{
    qint64 numel = 1;
    for (qint64 dim : shape) {
        if (dim < 0) {
            return Status::invalidInput(QStringLiteral("negative dimension"));
        }
        if (dim != 0 && numel > std::numeric_limits<qint64>::max() / 8 / dim) {
            return Status::invalidInput(QStringLiteral("shape too large"));
        }
        numel *= dim;
    }
    return numel;
}

// Reads one entry of the JSON header into `info` (everything but data/file).
Status parseEntry(const QString &name, const Json &entry, TensorInfo &info, qint64 &begin,
                  qint64 &end)
{
    const QString where = QStringLiteral("tensor '%1'").arg(name);
    if (!entry.is_object()) {
        return Status::invalidInput(where + QStringLiteral(": header entry is not an object"));
    }
    const auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end() || !dtypeIt->is_string()) {
        return Status::invalidInput(where + QStringLiteral(": missing or non-string \"dtype\""));
    }
    const QString dtypeText = q(dtypeIt->get<std::string>());
    const std::optional<DType> dtype = dtypeFromName(dtypeText);
    if (!dtype) {
        if (isKnownUnsupportedDtype(dtypeText)) {
            return Status::invalidInput(where +
                                        QStringLiteral(": unsupported dtype %1 (supported: %2)")
                                                .arg(dtypeText, supportedDtypes()));
        }
        return Status::invalidInput(where + QStringLiteral(": unknown dtype '%1' (supported: %2)")
                                                    .arg(dtypeText, supportedDtypes()));
    }
    info.dtype = *dtype;
    const auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end() || !shapeIt->is_array()) {
        return Status::invalidInput(where + QStringLiteral(": missing or non-array \"shape\""));
    }
    info.shape.clear();
    for (const Json &dim : *shapeIt) {
        if (!dim.is_number_integer() || dim.get<qint64>() < 0) {
            return Status::invalidInput(
                    where + QStringLiteral(": shape must hold non-negative integers, got %1")
                                    .arg(q(shapeIt->dump())));
        }
        info.shape.push_back(dim.get<qint64>());
    }
    const auto offsetsIt = entry.find("data_offsets");
    if (offsetsIt == entry.end() || !offsetsIt->is_array() || offsetsIt->size() != 2 ||
        !(*offsetsIt)[0].is_number_integer() || !(*offsetsIt)[1].is_number_integer()) {
        return Status::invalidInput(
                where + QStringLiteral(": \"data_offsets\" must be [begin, end] integers"));
    }
    // Unsigned values above 2^63 would wrap: read them as unsigned first.
    const Json &first = (*offsetsIt)[0];
    const Json &second = (*offsetsIt)[1];
    const auto toOffset = [](const Json &value) -> qint64 {
        if (value.is_number_unsigned() &&
            value.get<quint64>() > quint64(std::numeric_limits<qint64>::max())) {
            return -1;
        }
        return value.get<qint64>();
    };
    begin = toOffset(first);
    end = toOffset(second);
    if (begin < 0 || end < begin) {
        return Status::invalidInput(where + QStringLiteral(": invalid data_offsets [%1, %2]")
                                                    .arg(q(first.dump()), q(second.dump())));
    }
    const Result<qint64> numel = checkedNumel(info.shape);
    if (!numel) {
        return Status::invalidInput(where + QStringLiteral(": ") + numel.status().message() +
                                    QStringLiteral(" ") + shapeToString(info.shape));
    }
    info.bytes = numel.value() * dtypeSize(info.dtype);
    if (info.bytes != end - begin) {
        return Status::invalidInput(
                where + QStringLiteral(": shape %1 of %2 needs %3 bytes but data_offsets [%4, %5] "
                                       "span %6")
                                .arg(shapeToString(info.shape), dtypeText)
                                .arg(info.bytes)
                                .arg(begin)
                                .arg(end)
                                .arg(end - begin));
    }
    return Status::ok();
}

Result<ParsedFile> parseFile(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const auto fail = [&](const QString &message) {
        return Status::invalidInput(QStringLiteral("%1: %2").arg(absolute, message));
    };
    ParsedFile parsed;
    parsed.mapping.file = std::make_unique<QFile>(absolute);
    QFile &file = *parsed.mapping.file;
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(absolute));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot open: %2").arg(absolute, file.errorString()));
    }
    const qint64 size = file.size();
    if (size < 8) {
        return fail(QStringLiteral("file is %1 bytes, too short for a safetensors header "
                                   "(needs at least 8)")
                            .arg(size));
    }
    // MapPrivateOption: copy-on-write, so a tensor over the mapping may be modified in place
    // without touching the file (and without a segfault on a read-only page).
    const uchar *base = file.map(0, size, QFileDevice::MapPrivateOption);
    if (base == nullptr) {
        return fail(QStringLiteral("cannot memory-map: %1").arg(file.errorString()));
    }
    parsed.mapping.base = base;
    parsed.mapping.size = size;
    guardMapping(base, size_t(size), absolute);

    quint64 headerLength = 0;
    for (int i = 7; i >= 0; --i) {
        headerLength = (headerLength << 8) | base[i];
    }
    if (headerLength > quint64(size - 8)) {
        return fail(QStringLiteral("header length %1 is beyond the end of the file (%2 bytes)")
                            .arg(headerLength)
                            .arg(size));
    }
    if (qint64(headerLength) > kMaxHeaderBytes) {
        return fail(QStringLiteral("header length %1 exceeds the 100 MB limit").arg(headerLength));
    }
    const char *headerBegin = reinterpret_cast<const char *>(base + 8);
    const char *headerEnd = headerBegin + headerLength;

    // nlohmann keeps the last of duplicate keys silently; a callback sees every key of the
    // top-level object so duplicates can be refused.
    QSet<QString> seen;
    QString duplicate;
    const Json::parser_callback_t onEvent = [&](int depth, Json::parse_event_t event, Json &value) {
        if (event == Json::parse_event_t::key && depth == 1 && value.is_string()) {
            const QString key = q(value.get<std::string>());
            if (seen.contains(key) && duplicate.isEmpty()) {
                duplicate = key;
            }
            seen.insert(key);
        }
        return true;
    };
    Json header;
    try {
        header = Json::parse(headerBegin, headerEnd, onEvent);
    } catch (const Json::exception &error) {  // parse_error, or out_of_range for 1e605
        return fail(
                QStringLiteral("malformed JSON header: %1").arg(QString::fromUtf8(error.what())));
    }
    if (!header.is_object()) {
        return fail(QStringLiteral("JSON header is not an object"));
    }
    if (!duplicate.isEmpty()) {
        return fail(QStringLiteral("duplicate tensor name '%1' in the header").arg(duplicate));
    }

    const qint64 dataStart = 8 + qint64(headerLength);
    const qint64 dataSize = size - dataStart;

    struct Range
    {
        qint64 begin;
        qint64 end;
        int index;
    };

    std::vector<Range> ranges;
    for (auto it = header.begin(); it != header.end(); ++it) {
        const QString name = q(it.key());
        if (name == QLatin1String("__metadata__")) {
            if (!it->is_object()) {
                return fail(QStringLiteral("__metadata__ is not an object"));
            }
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string()) {
                    return fail(QStringLiteral("__metadata__ value of '%1' is not a string")
                                        .arg(q(m.key())));
                }
                parsed.metadata.insert(q(m.key()), q(m->get<std::string>()));
            }
            continue;
        }
        TensorInfo info;
        info.name = name;
        info.file = absolute;
        qint64 begin = 0;
        qint64 end = 0;
        if (Status status = parseEntry(name, *it, info, begin, end); !status.isOk()) {
            return fail(status.message());
        }
        if (end > dataSize) {
            return fail(QStringLiteral("tensor '%1': data_offsets [%2, %3] out of range: the data "
                                       "section holds %4 bytes")
                                .arg(name)
                                .arg(begin)
                                .arg(end)
                                .arg(dataSize));
        }
        info.data = base + dataStart + begin;
        ranges.push_back({begin, end, int(parsed.tensors.size())});
        parsed.tensors.push_back(info);
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    // Empty tensors occupy no bytes and may share an offset with anything; every other range
    // must start at or after the furthest end seen so far.
    const Range *furthest = nullptr;
    for (const Range &current : ranges) {
        if (current.end == current.begin) {
            continue;
        }
        if (furthest != nullptr && current.begin < furthest->end) {
            return fail(QStringLiteral("tensors '%1' [%2, %3] and '%4' [%5, %6] overlap")
                                .arg(parsed.tensors[furthest->index].name)
                                .arg(furthest->begin)
                                .arg(furthest->end)
                                .arg(parsed.tensors[current.index].name)
                                .arg(current.begin)
                                .arg(current.end));
        }
        if (furthest == nullptr || current.end > furthest->end) {
            furthest = &current;
        }
    }
    return parsed;
}

}  // namespace

QString dtypeName(DType dtype)
{
    switch (dtype) {
        case DType::F32:
            return QStringLiteral("F32");
        case DType::F16:
            return QStringLiteral("F16");
        case DType::BF16:
            return QStringLiteral("BF16");
        case DType::I32:
            return QStringLiteral("I32");
        case DType::I64:
            return QStringLiteral("I64");
    }
    return QStringLiteral("?");
}

std::optional<DType> dtypeFromName(const QString &name)
{
    for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64}) {
        if (dtypeName(dtype) == name) {
            return dtype;
        }
    }
    return std::nullopt;
}

qint64 dtypeSize(DType dtype)
{
    switch (dtype) {
        case DType::F32:
        case DType::I32:
            return 4;
        case DType::F16:
        case DType::BF16:
            return 2;
        case DType::I64:
            return 8;
    }
    return 0;
}

qint64 TensorInfo::numel() const
{
    qint64 n = 1;
    for (qint64 dim : shape) {
        n *= dim;
    }
    return n;
}

QString shapeToString(const QVector<qint64> &shape)
{
    QStringList parts;
    for (qint64 dim : shape) {
        parts << QString::number(dim);
    }
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

struct SafetensorsArchive::Data
{
    QString path;
    std::vector<Mapping> mappings;
    QHash<QString, TensorInfo> tensors;
    QStringList names;
    QMap<QString, QString> metadata;
    QStringList files;
    qint64 totalBytes = 0;
};

SafetensorsArchive::SafetensorsArchive()
    : m_data(std::make_shared<const Data>())
{}

SafetensorsArchive::SafetensorsArchive(std::shared_ptr<const Data> data)
    : m_data(std::move(data))
{}

Result<SafetensorsArchive> SafetensorsArchive::open(const QString &fileOrDir)
{
    const QFileInfo info(fileOrDir);
    if (!info.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file or directory").arg(fileOrDir));
    }
    auto data = std::make_shared<Data>();
    data->path = fileOrDir;

    QStringList shardFiles;             // absolute paths to map
    QHash<QString, QString> weightMap;  // name -> absolute shard path (sharded only)
    QString indexPath;
    if (info.isDir()) {
        const QDir dir(info.absoluteFilePath());
        indexPath = dir.absoluteFilePath(QString::fromLatin1(kIndexFileName));
        if (QFileInfo::exists(indexPath)) {
            QFile indexFile(indexPath);
            if (!indexFile.open(QIODevice::ReadOnly)) {
                return Status::invalidInput(QStringLiteral("%1: cannot open: %2")
                                                    .arg(indexPath, indexFile.errorString()));
            }
            const QByteArray bytes = indexFile.readAll();
            Json index;
            try {
                index = Json::parse(bytes.constData(), bytes.constData() + bytes.size());
            } catch (const Json::exception &error) {  // parse_error, or out_of_range for 1e605
                return Status::invalidInput(
                        QStringLiteral("%1: malformed JSON: %2")
                                .arg(indexPath, QString::fromUtf8(error.what())));
            }
            const auto mapIt = index.is_object() ? index.find("weight_map") : index.end();
            if (!index.is_object() || mapIt == index.end() || !mapIt->is_object()) {
                return Status::invalidInput(
                        QStringLiteral("%1: no \"weight_map\" object").arg(indexPath));
            }
            for (auto it = mapIt->begin(); it != mapIt->end(); ++it) {
                if (!it->is_string()) {
                    return Status::invalidInput(
                            QStringLiteral("%1: weight_map entry '%2' is not a file name")
                                    .arg(indexPath, q(it.key())));
                }
                const QString shard = q(it->get<std::string>());
                if (shard.contains(QLatin1Char('/')) || shard.contains(QLatin1Char('\\')) ||
                    shard.startsWith(QLatin1Char('.'))) {
                    return Status::invalidInput(
                            QStringLiteral("%1: weight_map entry '%2' names '%3': shards must be "
                                           "plain file names in the same directory")
                                    .arg(indexPath, q(it.key()), shard));
                }
                const QString shardPath = dir.absoluteFilePath(shard);
                weightMap.insert(q(it.key()), shardPath);
                if (!shardFiles.contains(shardPath)) {
                    shardFiles << shardPath;
                }
            }
            if (shardFiles.isEmpty()) {
                return Status::invalidInput(
                        QStringLiteral("%1: weight_map is empty").arg(indexPath));
            }
            for (const QString &shard : shardFiles) {
                if (!QFileInfo::exists(shard)) {
                    return Status::notFound(QStringLiteral("%1: shard %2 is missing")
                                                    .arg(indexPath, QFileInfo(shard).fileName()));
                }
            }
        } else {
            const QStringList found =
                    dir.entryList({QStringLiteral("*.safetensors")}, QDir::Files, QDir::Name);
            if (found.size() == 1) {
                shardFiles << dir.absoluteFilePath(found.first());
            } else if (found.size() > 1) {
                return Status::invalidInput(
                        QStringLiteral("%1: %2 .safetensors files (%3) but no %4 to say how they "
                                       "fit together; open one file instead")
                                .arg(dir.absolutePath())
                                .arg(found.size())
                                .arg(found.join(QStringLiteral(", ")),
                                     QString::fromLatin1(kIndexFileName)));
            } else {
                const QStringList all = dir.entryList(QDir::Files, QDir::Name);
                QStringList pickles;
                for (const QString &name : all) {
                    if (isPickleName(name)) {
                        pickles << name;
                    }
                }
                if (!pickles.isEmpty()) {
                    return pickleRefused(
                            QStringLiteral("%1 holds only %2")
                                    .arg(dir.absolutePath(), pickles.join(QStringLiteral(", "))));
                }
                return Status::notFound(
                        QStringLiteral("%1: no .safetensors file and no %2")
                                .arg(dir.absolutePath(), QString::fromLatin1(kIndexFileName)));
            }
        }
    } else {
        if (isPickleName(info.fileName())) {
            return pickleRefused(info.absoluteFilePath());
        }
        shardFiles << info.absoluteFilePath();
    }

    QHash<QString, QString> owner;  // tensor name -> file that defines it
    for (const QString &shard : shardFiles) {
        Result<ParsedFile> parsed = parseFile(shard);
        if (!parsed) {
            return parsed.status();
        }
        ParsedFile file = std::move(parsed).value();
        for (const TensorInfo &tensor : file.tensors) {
            if (const auto it = owner.constFind(tensor.name); it != owner.constEnd()) {
                return Status::invalidInput(
                        QStringLiteral("%1: duplicate tensor name '%2' (also in %3)")
                                .arg(shard, tensor.name, it.value()));
            }
            owner.insert(tensor.name, shard);
            data->tensors.insert(tensor.name, tensor);
            data->names << tensor.name;
            data->totalBytes += tensor.bytes;
        }
        for (auto it = file.metadata.constBegin(); it != file.metadata.constEnd(); ++it) {
            data->metadata.insert(it.key(), it.value());
        }
        data->files << shard;
        data->mappings.push_back(std::move(file.mapping));
    }
    for (auto it = weightMap.constBegin(); it != weightMap.constEnd(); ++it) {
        const auto found = owner.constFind(it.key());
        if (found == owner.constEnd() || found.value() != it.value()) {
            return Status::invalidInput(
                    QStringLiteral("%1: weight_map puts tensor '%2' in %3, which does not hold it")
                            .arg(indexPath, it.key(), QFileInfo(it.value()).fileName()));
        }
    }
    data->names.sort();
    data->files.sort();
    return SafetensorsArchive(std::shared_ptr<const Data>(std::move(data)));
}

QStringList SafetensorsArchive::tensorNames() const
{
    return m_data->names;
}

bool SafetensorsArchive::contains(const QString &name) const
{
    return m_data->tensors.contains(name);
}

std::optional<TensorInfo> SafetensorsArchive::info(const QString &name) const
{
    const auto it = m_data->tensors.constFind(name);
    if (it == m_data->tensors.constEnd()) {
        return std::nullopt;
    }
    return it.value();
}

QMap<QString, QString> SafetensorsArchive::metadata() const
{
    return m_data->metadata;
}

QStringList SafetensorsArchive::files() const
{
    return m_data->files;
}

QString SafetensorsArchive::path() const
{
    return m_data->path;
}

qint64 SafetensorsArchive::totalTensorBytes() const
{
    return m_data->totalBytes;
}

std::shared_ptr<const void> SafetensorsArchive::keepAlive() const
{
    return m_data;
}

Status writeSafetensors(const QString &path, const QList<TensorToWrite> &tensors,
                        const QMap<QString, QString> &metadata)
{
    // Largest elements first (stable, so equal sizes keep the caller's order): every tensor then
    // starts at a multiple of its element size, as in files Hugging Face writes.
    QList<const TensorToWrite *> ordered;
    QSet<QString> names;
    for (const TensorToWrite &tensor : tensors) {
        if (names.contains(tensor.name)) {
            return Status::invalidInput(
                    QStringLiteral("%1: duplicate tensor name '%2'").arg(path, tensor.name));
        }
        if (tensor.name == QLatin1String("__metadata__") || tensor.name.isEmpty()) {
            return Status::invalidInput(
                    QStringLiteral("%1: invalid tensor name '%2'").arg(path, tensor.name));
        }
        names.insert(tensor.name);
        const Result<qint64> numel = checkedNumel(tensor.shape);
        if (!numel) {
            return Status::invalidInput(QStringLiteral("%1: tensor '%2': %3 %4")
                                                .arg(path, tensor.name, numel.status().message(),
                                                     shapeToString(tensor.shape)));
        }
        const qint64 expected = numel.value() * dtypeSize(tensor.dtype);
        if (expected != tensor.data.size()) {
            return Status::invalidInput(
                    QStringLiteral("%1: tensor '%2': shape %3 of %4 needs %5 bytes, got %6")
                            .arg(path, tensor.name, shapeToString(tensor.shape),
                                 dtypeName(tensor.dtype))
                            .arg(expected)
                            .arg(tensor.data.size()));
        }
        ordered << &tensor;
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const TensorToWrite *a, const TensorToWrite *b) {
                         return dtypeSize(a->dtype) > dtypeSize(b->dtype);
                     });

    // nlohmann's ordered_json keeps insertion order, so the header lists tensors in file order.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.isEmpty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (auto it = metadata.constBegin(); it != metadata.constEnd(); ++it) {
            meta[it.key().toStdString()] = it.value().toStdString();
        }
        header["__metadata__"] = meta;
    }
    qint64 offset = 0;
    for (const TensorToWrite *tensor : ordered) {
        nlohmann::ordered_json entry;
        entry["dtype"] = dtypeName(tensor->dtype).toStdString();
        entry["shape"] = std::vector<qint64>(tensor->shape.begin(), tensor->shape.end());
        entry["data_offsets"] = {offset, offset + tensor->data.size()};
        header[tensor->name.toStdString()] = entry;
        offset += tensor->data.size();
    }
    std::string headerText = header.dump();
    // Pad with spaces so the data section starts 8-byte aligned (what the Rust writer does).
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    const quint64 headerLength = headerText.size();
    uchar lengthBytes[8];
    for (int i = 0; i < 8; ++i) {
        lengthBytes[i] = uchar((headerLength >> (8 * i)) & 0xFF);
    }

    QSaveFile file(path);
    // Unbuffered: the tensors are large blocks anyway, and the write that fails is the one that
    // knows why (errno).
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write: %2").arg(path, file.errorString()));
    }
    QString failure =
            writeFully(file, QByteArrayView(reinterpret_cast<const char *>(lengthBytes), 8));
    if (failure.isEmpty()) {
        failure = writeFully(file, QByteArrayView(headerText.data(), qsizetype(headerText.size())));
    }
    for (const TensorToWrite *tensor : ordered) {
        if (!failure.isEmpty()) {
            break;
        }
        failure = writeFully(file, tensor->data);
    }
    if (failure.isEmpty() && !file.commit()) {
        failure = writeFailure(file, errno);
    }
    if (!failure.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: write failed: %2").arg(path, failure));
    }
    return Status::ok();
}

Status checkTensors(const SafetensorsArchive &archive, const std::vector<ExpectedTensor> &expected,
                    const QString &what)
{
    QStringList missing;
    QStringList mismatched;
    for (const auto &[name, shape] : expected) {
        const std::optional<TensorInfo> info = archive.info(name);
        if (!info) {
            missing << name;
        } else if (info->shape != shape) {
            mismatched << QStringLiteral("tensor '%1' has shape %2, expected %3")
                                  .arg(name, shapeToString(info->shape), shapeToString(shape));
        }
    }
    if (missing.isEmpty() && mismatched.isEmpty()) {
        return Status::ok();
    }
    QStringList parts;
    if (!missing.isEmpty()) {
        // A model missing all its tensors would print hundreds of names: the first few say it.
        constexpr int kShown = 12;
        QString list = missing.mid(0, kShown).join(QStringLiteral(", "));
        if (missing.size() > kShown) {
            list += QStringLiteral(" and %1 more").arg(missing.size() - kShown);
        }
        parts << QStringLiteral("missing tensors for %1: %2").arg(what, list);
    }
    parts += mismatched;
    return Status::invalidInput(
            QStringLiteral("%1: %2").arg(archive.path(), parts.join(QStringLiteral("; "))));
}

}  // namespace gyrus::gpu
