#include "gpu/sae/activations/activation_shards.h"

#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/activation_stream.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace gyrus::gpu {

namespace detail {

namespace {

// A contiguous part of another reader's rows.
class RowRangeReader final : public RowReader
{
public:
    RowRangeReader(std::shared_ptr<RowReader> reader, int64_t begin, int64_t count)
        : m_reader(std::move(reader))
        , m_begin(begin)
        , m_count(count)
    {}

    int64_t rows() const override { return m_count; }

    int64_t columns() const override { return m_reader->columns(); }

    Result<at::Tensor> read(int64_t begin, int64_t count) override
    {
        return m_reader->read(m_begin + begin, count);
    }

    QString describe() const override
    {
        return QStringLiteral("%1 rows %2..%3")
                .arg(m_reader->describe())
                .arg(m_begin)
                .arg(m_begin + m_count - 1);
    }

private:
    std::shared_ptr<RowReader> m_reader;
    int64_t m_begin = 0;
    int64_t m_count = 0;
};

// The seed stream of shard j (a = j, b = -3), so shards never share a shuffle.
constexpr int64_t kShardStream = -3;

}  // namespace

std::shared_ptr<RowReader> makeRowRangeReader(std::shared_ptr<RowReader> reader, int64_t begin,
                                              int64_t count)
{
    return std::make_shared<RowRangeReader>(std::move(reader), begin, count);
}

ShardedActivationSource::ShardedActivationSource(
        std::vector<std::shared_ptr<ActivationSource>> shards, int64_t shardCount, int64_t rows,
        QString name)
    : m_shards(std::move(shards))
    , m_shardCount(std::max<int64_t>(1, shardCount))
    , m_rows(rows)
    , m_name(std::move(name))
{}

Result<at::Tensor> ShardedActivationSource::next(int64_t count)
{
    if (count % m_shardCount != 0) {
        return Status::internal(QStringLiteral("%1: %2 rows cannot be split over %3 shards")
                                        .arg(m_name)
                                        .arg(count)
                                        .arg(m_shardCount));
    }
    std::vector<at::Tensor> parts;
    for (const std::shared_ptr<ActivationSource> &shard : m_shards) {
        Result<at::Tensor> part = shard->next(count / m_shardCount);
        if (!part) {
            return part.status();
        }
        parts.push_back(std::move(part).value());
    }
    m_position += count;
    return parts.size() == 1 ? parts.front() : at::cat(parts, 0);
}

Status ShardedActivationSource::seek(int64_t position)
{
    if (position % m_shardCount != 0) {
        return Status::invalidInput(
                QStringLiteral("%1: position %2 is not a whole number of rows per shard (%3)")
                        .arg(m_name)
                        .arg(position)
                        .arg(m_shardCount));
    }
    for (const std::shared_ptr<ActivationSource> &shard : m_shards) {
        if (Status status = shard->seek(position / m_shardCount); !status.isOk()) {
            return status;
        }
    }
    m_position = position;
    return Status::ok();
}

}  // namespace detail

namespace {

const QString kIndexFormat = QStringLiteral("gyrus.activation-shards/1");

QString stemOf(const QString &out)
{
    QString stem = out;
    if (stem.endsWith(QLatin1String(".h5"))) {
        stem.chop(3);
    } else if (stem.endsWith(QLatin1String(".hdf5"))) {
        stem.chop(5);
    }
    return stem;
}

}  // namespace

int64_t ActivationShardIndex::rows() const
{
    int64_t total = 0;
    for (const Shard &shard : shards) {
        total += shard.rows;
    }
    return total;
}

QString activationShardPath(const QString &out, int shard, int shardCount)
{
    return QStringLiteral("%1-%2-of-%3.h5")
            .arg(stemOf(out))
            .arg(shard, 5, 10, QLatin1Char('0'))
            .arg(shardCount, 5, 10, QLatin1Char('0'));
}

QString activationShardIndexPath(const QString &out)
{
    return stemOf(out) + QStringLiteral(".index.json");
}

bool isActivationShardIndex(const QString &path)
{
    return path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
}

Result<ActivationShardIndex> readActivationShardIndex(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(file.readAll(), &error).object();
    if (error.error != QJsonParseError::NoError) {
        return Status::invalidInput(
                QStringLiteral("%1: not JSON (%2)").arg(path, error.errorString()));
    }
    if (json[QStringLiteral("format")].toString() != kIndexFormat) {
        return Status::invalidInput(
                QStringLiteral("%1: not a sharded activation index (format is not '%2')")
                        .arg(path, kIndexFormat));
    }
    ActivationShardIndex index;
    index.path = path;
    index.dataset = json[QStringLiteral("dataset")].toString(QStringLiteral("activations"));
    index.columns = static_cast<int64_t>(json[QStringLiteral("columns")].toDouble());
    index.normalisationScale = json[QStringLiteral("normalisation_scale")].toDouble(1.0);
    const QJsonObject attributes = json[QStringLiteral("attributes")].toObject();
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
        index.attributes.insert(it.key(), it.value().toString());
    }
    const QDir directory = QFileInfo(path).absoluteDir();
    const QJsonArray shards = json[QStringLiteral("shards")].toArray();
    if (shards.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: lists no shards").arg(path));
    }
    for (const QJsonValue &value : shards) {
        const QJsonObject entry = value.toObject();
        ActivationShardIndex::Shard shard;
        shard.file = directory.filePath(entry[QStringLiteral("file")].toString());
        shard.rows = static_cast<int64_t>(entry[QStringLiteral("rows")].toDouble());
        shard.documents = static_cast<int64_t>(entry[QStringLiteral("documents")].toDouble());
        if (!QFileInfo::exists(shard.file)) {
            return Status::notFound(QStringLiteral("%1: shard %2 of %3 is missing (%4: no such "
                                                   "file)")
                                            .arg(path)
                                            .arg(index.shards.size())
                                            .arg(shards.size())
                                            .arg(shard.file));
        }
        Result<ActivationFileInfo> info = inspectActivationFile(shard.file, index.dataset);
        if (!info) {
            return Status::invalidInput(QStringLiteral("%1: shard %2: %3")
                                                .arg(path)
                                                .arg(index.shards.size())
                                                .arg(info.status().message()));
        }
        if (info->rows != shard.rows || info->columns != index.columns) {
            return Status::invalidInput(
                    QStringLiteral("%1: shard %2 holds [%3, %4] activations but the index says "
                                   "[%5, %6] (the file changed after the index was written)")
                            .arg(path, shard.file)
                            .arg(info->rows)
                            .arg(info->columns)
                            .arg(shard.rows)
                            .arg(index.columns));
        }
        index.shards.append(shard);
    }
    return index;
}

Status writeActivationShardIndex(const ActivationShardIndex &index)
{
    const QDir directory = QFileInfo(index.path).absoluteDir();
    QJsonObject json;
    json[QStringLiteral("format")] = kIndexFormat;
    json[QStringLiteral("dataset")] = index.dataset;
    json[QStringLiteral("columns")] = static_cast<double>(index.columns);
    json[QStringLiteral("rows")] = static_cast<double>(index.rows());
    json[QStringLiteral("normalisation_scale")] = index.normalisationScale;
    QJsonObject attributes;
    for (auto it = index.attributes.begin(); it != index.attributes.end(); ++it) {
        attributes[it.key()] = it.value();
    }
    json[QStringLiteral("attributes")] = attributes;
    QJsonArray shards;
    for (const ActivationShardIndex::Shard &shard : index.shards) {
        shards.append(
                QJsonObject{{QStringLiteral("file"), directory.relativeFilePath(shard.file)},
                            {QStringLiteral("rows"), static_cast<double>(shard.rows)},
                            {QStringLiteral("documents"), static_cast<double>(shard.documents)}});
    }
    json[QStringLiteral("shards")] = shards;
    QSaveFile file(index.path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(json).toJson(QJsonDocument::Indented)) < 0 || !file.commit()) {
        return Status::invalidInput(QStringLiteral("%1: cannot write").arg(index.path));
    }
    return Status::ok();
}

Result<int64_t> activationShardCount(const ShardedActivationOptions &options)
{
    int64_t count = std::max<int64_t>(1, options.shards);
    if (isActivationShardIndex(options.path)) {
        Result<ActivationShardIndex> index = readActivationShardIndex(options.path);
        if (!index) {
            return index.status();
        }
        const int64_t own = index->shards.size();
        if (options.shards > 0 && options.shards != own) {
            return Status::invalidInput(QStringLiteral("%1 has %2 shards, not the %3 asked for")
                                                .arg(options.path)
                                                .arg(own)
                                                .arg(options.shards));
        }
        count = own;
    }
    if (options.worldSize > count) {
        return Status::invalidInput(
                QStringLiteral("%1 ranks cannot split %2 data shard%3 (%4): each rank needs at "
                               "least one; start at most %2 ranks")
                        .arg(options.worldSize)
                        .arg(count)
                        .arg(count == 1 ? QString() : QStringLiteral("s"), options.path));
    }
    return count;
}

int64_t activationSourceRows(const detail::ActivationSource &source)
{
    return source.rows();
}

std::shared_ptr<detail::ActivationSource> combineActivationShards(
        std::vector<std::shared_ptr<detail::ActivationSource>> shards, int64_t shardCount,
        int64_t rows, const QString &name)
{
    if (shards.size() == 1 && shardCount == 1) {
        return shards.front();
    }
    return std::make_shared<detail::ShardedActivationSource>(std::move(shards), shardCount, rows,
                                                             name);
}

Result<std::shared_ptr<detail::ActivationSource>> openShardedActivations(
        const ShardedActivationOptions &options)
{
    Result<int64_t> count = activationShardCount(options);
    if (!count) {
        return count.status();
    }
    const int64_t shardCount = count.value();
    const bool indexed = isActivationShardIndex(options.path);
    if (!indexed && shardCount == 1) {
        return openActivationFile(options.path, options.dataset, true, options.seed);
    }
    std::vector<std::shared_ptr<detail::RowReader>> readers;
    int64_t rows = 0;
    if (indexed) {
        Result<ActivationShardIndex> index = readActivationShardIndex(options.path);
        if (!index) {
            return index.status();
        }
        for (int64_t j = 0; j < shardCount; ++j) {
            if (j % options.worldSize != options.rank) {
                readers.push_back(nullptr);
                continue;
            }
            Result<std::shared_ptr<detail::RowReader>> reader =
                    detail::openActivationRows(index->shards[j].file, index->dataset);
            if (!reader) {
                return reader.status();
            }
            readers.push_back(std::move(reader).value());
        }
        rows = index->rows();
    } else {
        Result<std::shared_ptr<detail::RowReader>> file =
                detail::openActivationRows(options.path, options.dataset);
        if (!file) {
            return file.status();
        }
        rows = file.value()->rows();
        if (rows < shardCount) {
            return Status::invalidInput(QStringLiteral("%1: %2 rows cannot make %3 data shards")
                                                .arg(options.path)
                                                .arg(rows)
                                                .arg(shardCount));
        }
        for (int64_t j = 0; j < shardCount; ++j) {
            const int64_t begin = rows * j / shardCount;
            const int64_t end = rows * (j + 1) / shardCount;
            readers.push_back(j % options.worldSize == options.rank
                                      ? detail::makeRowRangeReader(file.value(), begin, end - begin)
                                      : nullptr);
        }
    }
    std::vector<std::shared_ptr<detail::ActivationSource>> shards;
    for (int64_t j = 0; j < shardCount; ++j) {
        if (readers[j]) {
            shards.push_back(std::make_shared<detail::ShuffledRowSource>(
                    readers[j],
                    detail::activationShuffle(
                            true, detail::mixSeed(options.seed, j, detail::kShardStream))));
        }
    }
    return std::shared_ptr<detail::ActivationSource>(
            std::make_shared<detail::ShardedActivationSource>(
                    std::move(shards), shardCount, rows,
                    QStringLiteral("%1 (%2 data shards)").arg(options.path).arg(shardCount)));
}

}  // namespace gyrus::gpu
