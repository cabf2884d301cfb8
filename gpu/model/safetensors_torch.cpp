#include "gpu/model/safetensors_torch.h"

#include <QList>

#include <c10/core/ScalarType.h>

#include <algorithm>
#include <cstdint>

#include <sys/mman.h>
#include <unistd.h>

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

namespace {

// Lets go of the whole pages of the mapping inside [begin, begin + bytes).
void releaseMappedPages(const void *begin, int64_t bytes)
{
    static const auto page = std::uintptr_t(sysconf(_SC_PAGESIZE));
    const auto from = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const auto to = (reinterpret_cast<std::uintptr_t>(begin) + std::uintptr_t(bytes)) / page * page;
    if (to > from) {
        madvise(reinterpret_cast<void *>(from), to - from, MADV_DONTNEED);
    }
}

}  // namespace

at::Tensor copyFromArchive(const SafetensorsArchive &archive, const QString &name,
                           at::ScalarType type, const at::Device &device, bool transposed,
                           int64_t sliceBytes)
{
    const at::Tensor source = tensorFromArchive(archive, name);
    if (!source.defined()) {
        return {};
    }
    const std::optional<TensorInfo> info = archive.info(name);
    // An unaligned tensor came back as a heap copy: its pages are not the mapping's.
    const bool mapped = source.data_ptr() == static_cast<const void *>(info->data);
    const bool flip = transposed && source.dim() == 2;
    at::Tensor out = at::empty(
            flip ? std::vector<int64_t>{source.size(1), source.size(0)} : source.sizes().vec(),
            at::TensorOptions().dtype(type).device(device));
    if (source.numel() == 0) {
        return out;
    }
    if (source.dim() == 0) {
        return out.copy_(source);
    }
    // Slices of whole rows of the file (dimension 0).
    const int64_t rows = source.size(0);
    const int64_t rowBytes = source.numel() / rows * int64_t(source.element_size());
    const int64_t step = std::max<int64_t>(1, sliceBytes / rowBytes);
    for (int64_t begin = 0; begin < rows; begin += step) {
        const int64_t count = std::min(step, rows - begin);
        const at::Tensor slice = source.narrow(0, begin, count);
        if (flip) {
            out.narrow(1, begin, count).copy_(slice.t());
        } else {
            out.narrow(0, begin, count).copy_(slice);
        }
        if (mapped) {
            releaseMappedPages(slice.data_ptr(), count * rowBytes);
        }
    }
    return out;
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
