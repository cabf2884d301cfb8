#pragma once
// Private to gyrus_gpu (and tests/gpu): safetensors entries as at::Tensor and back.

#include "core/base/status.h"
#include "gpu/model/safetensors.h"

#include <QMap>
#include <QString>

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gyrus::gpu {

/// The at::ScalarType of a safetensors dtype.
at::ScalarType toScalarType(DType dtype);

/// The safetensors dtype of a tensor's scalar type; std::nullopt for types safetensors files of
/// Gyrus do not hold (double, bool, ...).
std::optional<DType> fromScalarType(at::ScalarType type);

/// The named tensor of `archive`, zero-copy: an at::Tensor over the mapping whose deleter keeps
/// the mapping alive, in the file's dtype (F16/BF16 stay F16/BF16). The mapping is private
/// copy-on-write, so in-place operations are safe and never reach the file. Returns an undefined
/// tensor when the name is absent (check with archive.contains() first, or use
/// checkTensors()). A tensor whose bytes are not aligned to its element size (only in files
/// not written as HF does) is copied.
at::Tensor tensorFromArchive(const SafetensorsArchive &archive, const QString &name);

/// A copy of the named tensor in `type` on `device` (its transpose when `transposed`, for a 2-D
/// tensor), made a slice of about `sliceBytes` of the file (whole rows) at a time; each slice's
/// pages of the mapping are let go once copied (madvise MADV_DONTNEED), so loading a large tensor
/// holds the copy and one slice of the file, not the copy and the whole file (a 262k x 4096 bf16
/// SAE is 4.3 GB). Released pages are read from the file again if touched: only for tensors nobody
/// has modified in place through tensorFromArchive. Undefined when the name is absent.
at::Tensor copyFromArchive(const SafetensorsArchive &archive, const QString &name,
                           at::ScalarType type, const at::Device &device, bool transposed = false,
                           int64_t sliceBytes = int64_t(64) << 20);

/// Writes CPU tensors (any device: copied to the CPU; made contiguous) to a .safetensors file.
/// Fails with a message naming the tensor for dtypes outside F32/F16/BF16/I32/I64.
Status writeTensors(const QString &path,
                    const std::vector<std::pair<std::string, at::Tensor>> &tensors,
                    const QMap<QString, QString> &metadata = {});

}  // namespace gyrus::gpu
