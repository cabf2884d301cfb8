#pragma once
// Private to gyrus_gpu (and tests/gpu). Where SAE training and evaluation get activations from:
// batches of rows [B, d_in] float32 on the CPU, drawn in a seeded, reproducible order.

#include "core/base/status.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace gyrus::gpu::detail {

/// Random access to the rows of an activation matrix (a tensor in memory, an HDF5 dataset).
class RowReader
{
public:
    virtual ~RowReader() = default;
    virtual int64_t rows() const = 0;
    virtual int64_t columns() const = 0;
    /// Rows [begin, begin + count) as float32 [count, columns] on the CPU.
    virtual Result<at::Tensor> read(int64_t begin, int64_t count) = 0;
    /// Names the data in messages ("activations.h5:/activations").
    virtual QString describe() const = 0;
};

/// How rows are ordered. Unshuffled: the file order, epoch after epoch. Shuffled: the rows are cut
/// into blocks of `blockRows`; each epoch visits the blocks in a seeded random order,
/// `windowBlocks` blocks at a time, and serves each window's rows in a seeded random order. A
/// window is the shuffle buffer (windowBlocks·blockRows rows in memory); consecutive activations of
/// one document land in different batches, and the order is a pure function of (seed, position), so
/// a resumed run sees exactly the rows an uninterrupted one would.
struct ShuffleOptions
{
    bool shuffle = true;
    uint64_t seed = 0;
    int64_t blockRows = 1024;
    int64_t windowBlocks = 64;
};

/// An endless stream of activation rows: what the trainer, evaluation and encoding consume.
/// Implementations: rows of a matrix (an HDF5 file, a tensor) through a shuffle buffer
/// (ShuffledRowSource), or a model run on the fly over a corpus (openStreamingActivations in
/// gpu/sae/activations/streaming_activations.h). The order is a pure function of the settings and
/// the position, so seek(position()) after a restart continues exactly where a run stopped.
class ActivationSource
{
public:
    virtual ~ActivationSource() = default;

    /// Rows in one epoch (the stream wraps around after them); of the whole dataset for a data
    /// shard, so that every rank agrees.
    virtual int64_t rows() const = 0;

    virtual int64_t columns() const = 0;

    /// Names the data in messages ("activations.h5: dataset '/activations'").
    virtual QString describe() const = 0;

    /// The next `count` rows, float32 [count, columns] on the CPU. Fails on read errors and on
    /// non-finite values (naming the row).
    virtual Result<at::Tensor> next(int64_t count) = 0;

    /// Rows served so far; seek() to it to continue exactly there.
    virtual int64_t position() const = 0;

    /// Continues at `position`. Random-access sources jump; a streaming source replays (it runs
    /// the model again over the rows before `position`), so this can fail like next().
    virtual Status seek(int64_t position) = 0;
};

/// Rows of a RowReader served in the ShuffleOptions order.
class ShuffledRowSource final : public ActivationSource
{
public:
    ShuffledRowSource(std::shared_ptr<RowReader> reader, ShuffleOptions options);

    int64_t rows() const override { return m_reader->rows(); }

    int64_t columns() const override { return m_reader->columns(); }

    QString describe() const override { return m_reader->describe(); }

    Result<at::Tensor> next(int64_t count) override;

    int64_t position() const override { return m_position; }

    Status seek(int64_t position) override
    {
        m_position = position;
        return Status::ok();
    }

    const ShuffleOptions &options() const { return m_options; }

private:
    struct Window
    {
        int64_t epoch = -1;
        int64_t index = -1;
        int64_t begin = 0;  // offset of the window's first row within the epoch
        at::Tensor rows;    // [rows in window, columns], already in serving order
    };

    Status loadWindowFor(int64_t epoch, int64_t offset);

    std::shared_ptr<RowReader> m_reader;
    ShuffleOptions m_options;
    int64_t m_position = 0;
    Window m_window;
};

/// The seeded permutation of 0..n-1 that every source uses (SplitMix64 Fisher–Yates: the same
/// on every standard library, so a run resumed elsewhere sees the same order).
std::vector<int64_t> seededPermutation(int64_t n, uint64_t seed);

/// A seed for item (a, b) of a run seeded with `seed`.
uint64_t mixSeed(uint64_t seed, int64_t a, int64_t b);

/// Rows of an in-memory float tensor [N, d] (any float dtype; kept on the CPU as float32).
std::shared_ptr<RowReader> makeTensorReader(const at::Tensor &rows, QString name = QString());

/// A source over an in-memory tensor: shuffled, one window holds every row.
std::shared_ptr<ActivationSource> makeTensorSource(const at::Tensor &rows, uint64_t seed,
                                                   bool shuffle = true);

/// Rows [begin, begin + count) of `reader`: one data shard of a file that is not sharded.
std::shared_ptr<RowReader> makeRowRangeReader(std::shared_ptr<RowReader> reader, int64_t begin,
                                              int64_t count);

/// An HDF5 dataset's rows (gpu/sae/activations/activation_stream.cpp) and the shuffle every
/// activation file is read with (blocks of 1024 rows, 64 blocks a window).
Result<std::shared_ptr<RowReader>> openActivationRows(const QString &path, const QString &dataset);
ShuffleOptions activationShuffle(bool shuffle, uint64_t seed);

/// The shards of a dataset that one data-parallel rank reads. The data is cut into S shards
/// (the files of a sharded cache, or row ranges of one file), each with its own seeded stream;
/// every batch of n rows takes n/S rows from each shard, in shard order. A rank owns the shards j
/// with j mod W = rank and serves their parts of each batch, so the ranks' batches together are
/// exactly the batch one process reading every shard serves. position() and seek() count rows of
/// the whole dataset (all shards advance together), so a checkpoint written by any rank resumes
/// on any number of ranks W ≤ S.
class ShardedActivationSource final : public ActivationSource
{
public:
    /// `shards`: this rank's shards in shard order; `shardCount` S; `rows`: all shards' rows.
    ShardedActivationSource(std::vector<std::shared_ptr<ActivationSource>> shards,
                            int64_t shardCount, int64_t rows, QString name);

    int64_t rows() const override { return m_rows; }

    int64_t columns() const override { return m_shards.front()->columns(); }

    QString describe() const override { return m_name; }

    /// This rank's share of the next `count` rows of the whole dataset (count a multiple of S).
    Result<at::Tensor> next(int64_t count) override;

    int64_t position() const override { return m_position; }

    Status seek(int64_t position) override;

private:
    std::vector<std::shared_ptr<ActivationSource>> m_shards;
    int64_t m_shardCount = 1;
    int64_t m_rows = 0;
    QString m_name;
    int64_t m_position = 0;
};

}  // namespace gyrus::gpu::detail
