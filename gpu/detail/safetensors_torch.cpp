#include "gpu/detail/safetensors_torch.h"

#include <QList>

#include <c10/core/ScalarType.h>

#include <cstdint>

namespace gyrus::gpu {

at::ScalarType toScalarType(DType dtype)
{
    switch (dtype) {
        case DType::F32:
            return at::kFloat;
        case DType::F16:
            return at::kHalf;
        case DType::BF16:
            return at::kBFloat16;
        case DType::I32:
            return at::kInt;
        case DType::I64:
            return at::kLong;
    }
    return at::kFloat;
}

std::optional<DType> fromScalarType(at::ScalarType type)
{
    switch (type) {
        case at::kFloat:
            return DType::F32;
        case at::kHalf:
            return DType::F16;
        case at::kBFloat16:
            return DType::BF16;
        case at::kInt:
            return DType::I32;
        case at::kLong:
            return DType::I64;
        default:
            return std::nullopt;
    }
}

at::Tensor tensorFromArchive(const SafetensorsArchive &archive, const QString &name)
{
    const std::optional<TensorInfo> info = archive.info(name);
    if (!info) {
        return {};
    }
    const std::vector<int64_t> sizes(info->shape.begin(), info->shape.end());
    const auto options = at::TensorOptions().dtype(toScalarType(info->dtype)).device(at::kCPU);
    // The mapping is private (copy-on-write), so handing torch a non-const pointer is safe.
    void *data = const_cast<uchar *>(info->data);
    if (reinterpret_cast<std::uintptr_t>(data) % std::uintptr_t(dtypeSize(info->dtype)) != 0) {
        // Vectorised kernels may assume element alignment; a copy is cheap next to a fault.
        return at::from_blob(data, sizes, options).clone();
    }
    std::shared_ptr<const void> keep = archive.keepAlive();
    return at::from_blob(
            data, sizes, [keep](void *) mutable { keep.reset(); }, options);
}

Status writeTensors(const QString &path,
                    const std::vector<std::pair<std::string, at::Tensor>> &tensors,
                    const QMap<QString, QString> &metadata)
{
    std::vector<at::Tensor> contiguous;  // keeps the bytes alive during the write
    contiguous.reserve(tensors.size());
    QList<TensorToWrite> toWrite;
    for (const auto &[name, tensor] : tensors) {
        const QString qname = QString::fromStdString(name);
        if (!tensor.defined()) {
            return Status::invalidInput(
                    QStringLiteral("%1: tensor '%2' is undefined").arg(path, qname));
        }
        const std::optional<DType> dtype = fromScalarType(tensor.scalar_type());
        if (!dtype) {
            return Status::invalidInput(
                    QStringLiteral("%1: tensor '%2' has dtype %3; safetensors files of Gyrus hold "
                                   "F32, F16, BF16, I32, I64")
                            .arg(path, qname,
                                 QString::fromLatin1(c10::toString(tensor.scalar_type()))));
        }
        contiguous.push_back(tensor.to(at::kCPU).contiguous());
        const at::Tensor &bytes = contiguous.back();
        TensorToWrite entry;
        entry.name = qname;
        entry.dtype = *dtype;
        entry.shape = QVector<qint64>(bytes.sizes().begin(), bytes.sizes().end());
        entry.data = QByteArrayView(static_cast<const char *>(bytes.data_ptr()),
                                    qsizetype(bytes.numel() * bytes.element_size()));
        toWrite << entry;
    }
    return writeSafetensors(path, toWrite, metadata);
}

}  // namespace gyrus::gpu
