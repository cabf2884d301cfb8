#pragma once
// Sharded activation caches: `gyrus-cli cache` on W ranks writes one HDF5 file per rank (disjoint
// documents) and an index; training reads the set as one dataset, each data-parallel rank its
// own shards. Torch-free.

#include "core/base/status.h"

#include <QList>
#include <QMap>
#include <QString>

#include <cstdint>
#include <memory>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
}

/// The index of a sharded cache (JSON, format "gyrus.activation-shards/1"): the shard files
/// (relative to the index), their rows and documents, and the data's provenance.
struct ActivationShardIndex
{
    struct Shard
    {
        QString file;  ///< absolute path (relative to the index in the file)
        int64_t rows = 0;
        int64_t documents = 0;
    };

    QString path;  ///< the index file
    QString dataset = QStringLiteral("activations");
    int64_t columns = 0;
    double normalisationScale = 1.0;    ///< s with E‖s·x‖ = √d over every shard's rows
    QMap<QString, QString> attributes;  ///< model, hook_name, dtype, ... (as in each shard)
    QList<Shard> shards;

    int64_t rows() const;
};

/// The shard files of `out` (acts.h5 -> acts-00000-of-00002.h5 ...) and its index
/// (acts.index.json).
QString activationShardPath(const QString &out, int shard, int shardCount);
QString activationShardIndexPath(const QString &out);

/// Whether `path` names an index (ends in .json) rather than an HDF5 file.
bool isActivationShardIndex(const QString &path);

/// Reads an index and checks every shard: it exists, holds the dataset with the index's rows and
/// columns. Errors name the index and the shard.
Result<ActivationShardIndex> readActivationShardIndex(const QString &path);

/// Writes `index` to index.path atomically (file names relative to the index's directory).
Status writeActivationShardIndex(const ActivationShardIndex &index);

struct ShardedActivationOptions
{
    QString path;  ///< an HDF5 file, or a sharded cache's index (.json)
    QString dataset = QStringLiteral("activations");
    /// The data's shards S: an index has its own (0 or equal to it); one file is cut into S
    /// contiguous row ranges (0: 1).
    int64_t shards = 0;
    int rank = 0;
    int worldSize = 1;
    uint64_t seed = 0;
};

/// The number of shards `options` describe (an index's, or options.shards for one file), or why
/// they cannot be read on options.worldSize ranks (more ranks than shards, a missing shard, ...).
Result<int64_t> activationShardCount(const ShardedActivationOptions &options);

/// This rank's shuffled stream (see detail::ShardedActivationSource). One file with S = 1 is the
/// plain openActivationFile() stream.
Result<std::shared_ptr<detail::ActivationSource>> openShardedActivations(
        const ShardedActivationOptions &options);

/// Rows of one epoch of `source` (for callers without torch).
int64_t activationSourceRows(const detail::ActivationSource &source);

/// This rank's streams of its shards (in shard order) as one detail::ShardedActivationSource of
/// `shardCount` shards with `rows` rows in all (a streamed model's shards).
std::shared_ptr<detail::ActivationSource> combineActivationShards(
        std::vector<std::shared_ptr<detail::ActivationSource>> shards, int64_t shardCount,
        int64_t rows, const QString &name);

}  // namespace gyrus::gpu
