#include "gpu/sae/activations/sae_encoding.h"

#include "core/hdf5/hdf5_writer.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/activation_stream.h"
#include "gpu/sae/sae_module.h"

#include <algorithm>

namespace gyrus::gpu {

Result<int64_t> encodeActivationFile(const detail::SaeModule &moduleIn, const QString &inputPath,
                                     const QString &outputPath, const SaeEncodeOptions &options)
{
    Result<std::shared_ptr<detail::ActivationSource>> source =
            openActivationFile(inputPath, options.dataset, /*shuffle=*/false, 0);
    if (!source) {
        return source.status();
    }
    detail::ActivationSource &input = *source.value();
    const SaeConfig &config = moduleIn.config();
    if (config.dIn != input.columns()) {
        return Status::invalidInput(
                QStringLiteral("the SAE expects d_in = %1 but %2 has %3 columns")
                        .arg(config.dIn)
                        .arg(input.describe())
                        .arg(input.columns()));
    }
    if (options.topK < 0 || options.batchSize < 1) {
        return Status::invalidInput(QStringLiteral("top-k must be >= 0 and the batch size >= 1"));
    }
    if (options.device.startsWith(QLatin1String("cuda")) && !at::hasCUDA()) {
        return Status::invalidInput(
                QStringLiteral("device '%1' requested but this LibTorch has no CUDA device")
                        .arg(options.device));
    }
    const detail::SaeModule module = moduleIn.to(at::Device(options.device.toStdString()));
    const int64_t rows = input.rows();
    const int64_t k = std::min(options.topK, config.dSae);
    Result<std::unique_ptr<Hdf5Writer>> created = Hdf5Writer::createRows(outputPath);
    if (!created) {
        return created.status();
    }
    Hdf5Writer &writer = *created.value();
    const QString features = QStringLiteral("features");
    const QString indices = QStringLiteral("indices");
    const QString values = QStringLiteral("values");
    Status status =
            k > 0 ? writer.createDataset(indices, Hdf5Writer::Type::Int32, rows, k)
                  : writer.createDataset(features, Hdf5Writer::Type::Float32, rows, config.dSae);
    if (status.isOk() && k > 0) {
        status = writer.createDataset(values, Hdf5Writer::Type::Float32, rows, k);
    }
    for (const auto &[name, value] :
         {std::pair{QStringLiteral("sae"), options.saeDescription},
          std::pair{QStringLiteral("hook_name"), config.hookName},
          std::pair{QStringLiteral("architecture"), nameOf(config.architecture)},
          std::pair{QStringLiteral("activations"), inputPath}}) {
        if (status.isOk()) {
            status = writer.setAttribute(name, value);
        }
    }
    if (status.isOk()) {
        status = writer.setAttribute(QStringLiteral("d_sae"), static_cast<double>(config.dSae));
    }
    for (int64_t begin = 0; status.isOk() && begin < rows; begin += options.batchSize) {
        const int64_t count = std::min(options.batchSize, rows - begin);
        Result<at::Tensor> batch = input.next(count);
        if (!batch) {
            return batch.status();
        }
        const at::Tensor x = batch.value().to(module.weights().wEnc.device());
        if (k > 0) {
            const auto [topValues, topIndices] = module.encodeTopK(x, k);
            const at::Tensor v = topValues.to(at::kCPU).contiguous();
            const at::Tensor i = topIndices.to(at::kInt).to(at::kCPU).contiguous();
            status = writer.writeRows(indices, begin, count, i.data_ptr<int32_t>());
            if (status.isOk()) {
                status = writer.writeRows(values, begin, count, v.data_ptr<float>());
            }
        } else {
            const at::Tensor f = module.encode(x).to(at::kCPU).contiguous();
            status = writer.writeRows(features, begin, count, f.data_ptr<float>());
        }
    }
    if (status.isOk()) {
        status = writer.commit();
    }
    if (!status.isOk()) {
        return status;
    }
    return rows;
}

}  // namespace gyrus::gpu
