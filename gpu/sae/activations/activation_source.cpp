#include "gpu/sae/activations/activation_source.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace gyrus::gpu::detail {

namespace {

// SplitMix64: a portable, well-mixed seed sequence (std::shuffle's output differs between
// standard libraries, and the order must be the same wherever a run is resumed).
uint64_t splitMix(uint64_t &state)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace

std::vector<int64_t> seededPermutation(int64_t n, uint64_t seed)
{
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    uint64_t state = seed;
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<int64_t>(splitMix(state) % static_cast<uint64_t>(i + 1));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    return order;
}

uint64_t mixSeed(uint64_t seed, int64_t a, int64_t b)
{
    uint64_t state = seed ^ (static_cast<uint64_t>(a) * 0x9E3779B97F4A7C15ULL);
    splitMix(state);
    state ^= static_cast<uint64_t>(b) * 0xC2B2AE3D27D4EB4FULL;
    return splitMix(state);
}

namespace {

class TensorReader final : public RowReader
{
public:
    TensorReader(at::Tensor rows, QString name)
        : m_rows(std::move(rows))
        , m_name(std::move(name))
    {}

    int64_t rows() const override { return m_rows.size(0); }

    int64_t columns() const override { return m_rows.size(1); }

    Result<at::Tensor> read(int64_t begin, int64_t count) override
    {
        return m_rows.narrow(0, begin, count);
    }

    QString describe() const override { return m_name; }

private:
    at::Tensor m_rows;
    QString m_name;
};

}  // namespace

std::shared_ptr<RowReader> makeTensorReader(const at::Tensor &rows, QString name)
{
    at::Tensor cpu = rows.to(at::kCPU).to(at::kFloat).contiguous();
    if (cpu.dim() != 2) {
        cpu = cpu.reshape({cpu.size(0), -1});
    }
    return std::make_shared<TensorReader>(
            std::move(cpu), name.isEmpty() ? QStringLiteral("in-memory activations") : name);
}

std::shared_ptr<ActivationSource> makeTensorSource(const at::Tensor &rows, uint64_t seed,
                                                   bool shuffle)
{
    ShuffleOptions options;
    options.shuffle = shuffle;
    options.seed = seed;
    options.blockRows = std::max<int64_t>(1, rows.size(0));
    options.windowBlocks = 1;
    return std::make_shared<ShuffledRowSource>(makeTensorReader(rows), options);
}

ShuffledRowSource::ShuffledRowSource(std::shared_ptr<RowReader> reader, ShuffleOptions options)
    : m_reader(std::move(reader))
    , m_options(options)
{
    m_options.blockRows = std::max<int64_t>(1, m_options.blockRows);
    m_options.windowBlocks = std::max<int64_t>(1, m_options.windowBlocks);
}

Status ShuffledRowSource::loadWindowFor(int64_t epoch, int64_t offset)
{
    const int64_t total = m_reader->rows();
    if (!m_options.shuffle) {
        // One window per block, in file order.
        const int64_t begin = offset / m_options.blockRows * m_options.blockRows;
        const int64_t count = std::min(m_options.blockRows * m_options.windowBlocks, total - begin);
        Result<at::Tensor> rows = m_reader->read(begin, count);
        if (!rows) {
            return rows.status();
        }
        m_window = {epoch, begin, begin, rows.value()};
        return Status::ok();
    }
    const int64_t blocks = (total + m_options.blockRows - 1) / m_options.blockRows;
    const std::vector<int64_t> blockOrder =
            seededPermutation(blocks, mixSeed(m_options.seed, epoch, -1));
    // Windows are runs of windowBlocks blocks in the permuted order; find the one holding
    // `offset` (only the last block of the file is short, so sizes vary by window).
    int64_t begin = 0;
    for (int64_t window = 0; window * m_options.windowBlocks < blocks; ++window) {
        const int64_t first = window * m_options.windowBlocks;
        const int64_t last = std::min(blocks, first + m_options.windowBlocks);
        int64_t size = 0;
        for (int64_t b = first; b < last; ++b) {
            const int64_t block = blockOrder[static_cast<size_t>(b)];
            size += std::min(m_options.blockRows, total - block * m_options.blockRows);
        }
        if (offset < begin + size) {
            std::vector<at::Tensor> parts;
            for (int64_t b = first; b < last; ++b) {
                const int64_t block = blockOrder[static_cast<size_t>(b)];
                const int64_t start = block * m_options.blockRows;
                Result<at::Tensor> rows =
                        m_reader->read(start, std::min(m_options.blockRows, total - start));
                if (!rows) {
                    return rows.status();
                }
                parts.push_back(rows.value());
            }
            const std::vector<int64_t> order =
                    seededPermutation(size, mixSeed(m_options.seed, epoch, window));
            const at::Tensor index = at::tensor(order, at::TensorOptions().dtype(at::kLong));
            m_window = {epoch, window, begin, at::cat(parts, 0).index_select(0, index)};
            return Status::ok();
        }
        begin += size;
    }
    return Status::internal(QStringLiteral("activation window lookup failed"));
}

Result<at::Tensor> ShuffledRowSource::next(int64_t count)
{
    const int64_t total = m_reader->rows();
    if (total <= 0) {
        return Status::invalidInput(QStringLiteral("%1: no rows").arg(describe()));
    }
    std::vector<at::Tensor> parts;
    int64_t remaining = count;
    while (remaining > 0) {
        const int64_t epoch = m_position / total;
        const int64_t offset = m_position % total;
        const bool inWindow = m_window.epoch == epoch && offset >= m_window.begin &&
                              offset < m_window.begin + m_window.rows.size(0);
        if (!inWindow) {
            if (Status status = loadWindowFor(epoch, offset); !status.isOk()) {
                return status;
            }
        }
        const int64_t start = offset - m_window.begin;
        const int64_t take = std::min(remaining, m_window.rows.size(0) - start);
        parts.push_back(m_window.rows.narrow(0, start, take));
        remaining -= take;
        m_position += take;
    }
    at::Tensor batch = parts.size() == 1 ? parts.front().clone() : at::cat(parts, 0);
    if (!at::isfinite(batch).all().item<bool>()) {
        const int64_t row =
                at::isfinite(batch).all(1).logical_not().nonzero()[0][0].item<int64_t>();
        return Status::invalidInput(
                QStringLiteral("%1: non-finite value (NaN or inf) in a row served at position %2")
                        .arg(describe())
                        .arg(m_position - count + row));
    }
    return batch;
}

}  // namespace gyrus::gpu::detail
