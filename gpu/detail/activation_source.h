#pragma once
// Private to gyrus_gpu (and tests/gpu). Where SAE training and evaluation get activations from:
// batches of rows [B, d_in] float32 on the CPU, drawn in a seeded, reproducible order.

#include "core/status.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>

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

/// An endless stream of activation rows (it wraps around at the end of each epoch).
class ActivationSource
{
public:
    ActivationSource(std::shared_ptr<RowReader> reader, ShuffleOptions options);

    int64_t rows() const { return m_reader->rows(); }

    int64_t columns() const { return m_reader->columns(); }

    QString describe() const { return m_reader->describe(); }

    /// The next `count` rows, float32 [count, columns] on the CPU. Fails on read errors and on
    /// non-finite values (naming the row).
    Result<at::Tensor> next(int64_t count);

    /// Rows served so far; seek() to it to continue exactly there.
    int64_t position() const { return m_position; }

    void seek(int64_t position) { m_position = position; }

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

/// Rows of an in-memory float tensor [N, d] (any float dtype; kept on the CPU as float32).
std::shared_ptr<RowReader> makeTensorReader(const at::Tensor &rows, QString name = QString());

/// A source over an in-memory tensor: shuffled, one window holds every row.
std::shared_ptr<ActivationSource> makeTensorSource(const at::Tensor &rows, uint64_t seed,
                                                   bool shuffle = true);

}  // namespace gyrus::gpu::detail
