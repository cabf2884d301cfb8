#include "gpu/sae/activations/streaming_activations.h"

#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/hook_windows.h"

#include <QFileInfo>

#include <algorithm>

namespace gyrus::gpu {

namespace {

// Streams of the seed: window order per epoch (a = epoch, b = -1) and buffer shuffles
// (a = refill, b = -2).
constexpr int64_t kWindowOrderStream = -1;
constexpr int64_t kBufferStream = -2;
// The seed of data shard j (a = j, b = -3), as for sharded files.
constexpr int64_t kShardStream = -3;

class StreamingSource final : public detail::ActivationSource
{
public:
    StreamingSource(const LanguageModel &model, StreamingActivationOptions options,
                    std::vector<detail::HookWindow> windows, int64_t rowsPerEpoch)
        : m_model(model)
        , m_options(std::move(options))
        , m_windows(std::move(windows))
        , m_rowsPerEpoch(rowsPerEpoch)
        , m_columns(model.info().dModel)
    {
        m_options.bufferRows = std::max<int64_t>(1, m_options.bufferRows);
        m_options.batchSequences = std::max(1, m_options.batchSequences);
        reset();
    }

    int64_t rows() const override { return m_rowsPerEpoch; }

    int64_t columns() const override { return m_columns; }

    QString describe() const override
    {
        return QStringLiteral("%1 through %2 at %3")
                .arg(m_options.corpusPath, m_model.info().path, m_options.hookName);
    }

    Result<at::Tensor> next(int64_t count) override
    {
        std::vector<at::Tensor> parts;
        if (Status status = take(count, &parts); !status.isOk()) {
            return status;
        }
        return parts.size() == 1 ? parts.front().clone() : at::cat(parts, 0);
    }

    int64_t position() const override { return m_position; }

    Status seek(int64_t position) override
    {
        if (position < m_position) {
            reset();
        }
        return take(position - m_position, nullptr);
    }

private:
    void reset()
    {
        m_position = 0;
        m_epoch = 0;
        m_cursor = 0;
        m_order = windowOrder(0);
        m_refills = 0;
        m_pool = at::empty({0, m_columns}, at::TensorOptions().dtype(at::kFloat));
        m_ready = m_pool;
        m_readyOffset = 0;
    }

    std::vector<int64_t> windowOrder(int64_t epoch) const
    {
        return detail::seededPermutation(
                static_cast<int64_t>(m_windows.size()),
                detail::mixSeed(m_options.seed, epoch, kWindowOrderStream));
    }

    // Serves `count` rows into `parts` (nullptr: skips them, as a replay does).
    Status take(int64_t count, std::vector<at::Tensor> *parts)
    {
        while (count > 0) {
            if (m_readyOffset >= m_ready.size(0)) {
                if (Status status = refill(); !status.isOk()) {
                    return status;
                }
            }
            const int64_t n = std::min(count, m_ready.size(0) - m_readyOffset);
            if (parts) {
                parts->push_back(m_ready.narrow(0, m_readyOffset, n));
            }
            m_readyOffset += n;
            m_position += n;
            count -= n;
        }
        return Status::ok();
    }

    // Tops the pool up to bufferRows with forward passes, shuffles it and moves all but half a
    // buffer to the ready rows (the kept half mixes into the next refill).
    Status refill()
    {
        std::vector<at::Tensor> parts = {m_pool};
        int64_t pooled = m_pool.size(0);
        while (pooled < m_options.bufferRows) {
            if (m_cursor >= m_windows.size()) {
                ++m_epoch;
                m_cursor = 0;
                m_order = windowOrder(m_epoch);
            }
            const size_t count = std::min(m_windows.size() - m_cursor,
                                          static_cast<size_t>(m_options.batchSequences));
            std::vector<const detail::HookWindow *> batch;
            for (size_t i = m_cursor; i < m_cursor + count; ++i) {
                batch.push_back(&m_windows[static_cast<size_t>(m_order[i])]);
            }
            m_cursor += count;
            Result<at::Tensor> rows =
                    detail::hookRows(m_model, m_options.hookName, batch, m_options.corpusPath);
            if (!rows) {
                return rows.status();
            }
            pooled += rows->size(0);
            parts.push_back(std::move(rows).value());
        }
        const std::vector<int64_t> order = detail::seededPermutation(
                pooled, detail::mixSeed(m_options.seed, m_refills, kBufferStream));
        const at::Tensor mixed = at::cat(parts, 0).index_select(
                0, at::tensor(order, at::TensorOptions().dtype(at::kLong)));
        const int64_t serve = pooled - m_options.bufferRows / 2;
        m_ready = mixed.narrow(0, 0, serve);
        m_pool = mixed.narrow(0, serve, pooled - serve).clone();
        m_readyOffset = 0;
        ++m_refills;
        return Status::ok();
    }

    const LanguageModel &m_model;
    StreamingActivationOptions m_options;
    std::vector<detail::HookWindow> m_windows;
    int64_t m_rowsPerEpoch = 0;
    int64_t m_columns = 0;

    int64_t m_position = 0;
    int64_t m_epoch = 0;
    size_t m_cursor = 0;  // next window of m_order
    std::vector<int64_t> m_order;
    int64_t m_refills = 0;
    at::Tensor m_pool;   // rows kept back for mixing
    at::Tensor m_ready;  // rows being served, in order
    int64_t m_readyOffset = 0;
};

}  // namespace

Result<std::shared_ptr<detail::ActivationSource>> openStreamingActivations(
        const LanguageModel &model, const StreamingActivationOptions &options)
{
    if (!model.info().hookNames.contains(options.hookName)) {
        return Status::invalidInput(
                QStringLiteral("unknown hook '%1' (see gyrus-cli info for the model's hooks)")
                        .arg(options.hookName));
    }
    if (options.contextLength < 2 || options.batchSequences < 1 || options.bufferRows < 1) {
        return Status::invalidInput(
                QStringLiteral("context length must be ≥ 2, the batch and the shuffle buffer ≥ 1"));
    }
    Result<TokenCorpus> corpus = encodeTextFile(options.corpusPath, model.tokenizer());
    if (!corpus) {
        return corpus.status();
    }
    if (options.shardCount < 1 || options.shardIndex < 0 ||
        options.shardIndex >= options.shardCount) {
        return Status::invalidInput(QStringLiteral("data shard %1 of %2 does not exist")
                                            .arg(options.shardIndex)
                                            .arg(options.shardCount));
    }
    std::vector<detail::HookWindow> windows = detail::cutHookWindows(
            corpus.value(), model.tokenizer().bosId(), options.contextLength, 0);
    // rows() is the whole corpus's, every shard's together, so that every rank agrees on it.
    int64_t rows = 0;
    for (const detail::HookWindow &window : windows) {
        rows += detail::rowsOf(window);
    }
    if (options.shardCount > 1) {
        std::vector<detail::HookWindow> mine;
        for (detail::HookWindow &window : windows) {
            if (window.document % options.shardCount == options.shardIndex) {
                mine.push_back(std::move(window));
            }
        }
        windows = std::move(mine);
    }
    if (windows.empty()) {
        return Status::invalidInput(
                QStringLiteral("%1: no tokens to stream%2")
                        .arg(options.corpusPath, options.shardCount > 1
                                                         ? QStringLiteral(" in data shard %1 of %2")
                                                                   .arg(options.shardIndex)
                                                                   .arg(options.shardCount)
                                                         : QString()));
    }
    StreamingActivationOptions absolute = options;
    absolute.corpusPath = QFileInfo(options.corpusPath).absoluteFilePath();
    if (options.shardCount > 1) {
        absolute.seed = detail::mixSeed(options.seed, options.shardIndex, kShardStream);
    }
    return std::shared_ptr<detail::ActivationSource>(
            std::make_shared<StreamingSource>(model, absolute, std::move(windows), rows));
}

}  // namespace gyrus::gpu
