#include "gpu/sae/activations/activation_stream.h"

#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_source.h"

namespace gyrus::gpu {

namespace {

/// An activation file's rows as float32 tensors.
class ActivationFileRows final : public detail::RowReader
{
public:
    explicit ActivationFileRows(std::unique_ptr<ActivationRowFile> file)
        : m_file(std::move(file))
    {}

    int64_t rows() const override { return m_file->rows(); }

    int64_t columns() const override { return m_file->columns(); }

    QString describe() const override { return m_file->describe(); }

    Result<at::Tensor> read(int64_t begin, int64_t count) override
    {
        // Halves are read as stored and widened by torch (see ActivationRowFile).
        const bool half = m_file->storesHalf();
        at::Tensor out = at::empty({count, m_file->columns()},
                                   at::TensorOptions().dtype(half ? at::kHalf : at::kFloat));
        if (Status status = m_file->readRows(begin, count, out.data_ptr()); !status.isOk()) {
            return status;
        }
        return half ? out.to(at::kFloat) : out;
    }

private:
    std::unique_ptr<ActivationRowFile> m_file;
};

}  // namespace

namespace detail {

Result<std::shared_ptr<RowReader>> openActivationRows(const QString &path, const QString &dataset)
{
    Result<std::unique_ptr<ActivationRowFile>> file = ActivationRowFile::open(path, dataset);
    if (!file) {
        return file.status();
    }
    return std::shared_ptr<RowReader>(
            std::make_shared<ActivationFileRows>(std::move(file).value()));
}

detail::ShuffleOptions activationShuffle(bool shuffle, uint64_t seed)
{
    detail::ShuffleOptions options;
    options.shuffle = shuffle;
    options.seed = seed;
    // Blocks of 1024 rows, 64 at a time: a 65k-row shuffle buffer (SAEBench uses 250k; the
    // random block order mixes documents across the whole file).
    options.blockRows = 1024;
    options.windowBlocks = 64;
    return options;
}

}  // namespace detail

Result<std::shared_ptr<detail::ActivationSource>> openActivationFile(const QString &path,
                                                                     const QString &dataset,
                                                                     bool shuffle, uint64_t seed)
{
    Result<std::shared_ptr<detail::RowReader>> reader = detail::openActivationRows(path, dataset);
    if (!reader) {
        return reader.status();
    }
    return std::shared_ptr<detail::ActivationSource>(std::make_shared<detail::ShuffledRowSource>(
            std::move(reader).value(), detail::activationShuffle(shuffle, seed)));
}

}  // namespace gyrus::gpu
