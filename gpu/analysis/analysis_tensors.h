#pragma once
// Private to gyrus_gpu: conversions between the plain-data analysis types and tensors, shared by
// gpu/analysis/*.cpp. Include only from gpu/**/*.cpp and tests/gpu/*.cpp.

#include "core/base/float_matrix.h"
#include "core/base/status.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace gyrus::gpu::detail {

/// The device analyses run on: the first CUDA device when there is one, else the CPU.
inline at::Device analysisDevice()
{
    return at::hasCUDA() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
}

/// Copies `matrix` into a [rows, cols] tensor of `dtype` on `device`.
inline at::Tensor toTensor(const FloatMatrix &matrix, at::ScalarType dtype, at::Device device)
{
    const at::Tensor host =
            at::from_blob(const_cast<float *>(matrix.values.data()), {matrix.rows, matrix.cols},
                          at::TensorOptions().dtype(at::kFloat));
    return host.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
}

/// A 1-D tensor as doubles on the host.
inline std::vector<double> toDoubles(const at::Tensor &tensor)
{
    const at::Tensor host = tensor.detach().to(at::kCPU, at::kDouble).contiguous();
    const double *data = host.data_ptr<double>();
    return std::vector<double>(data, data + host.numel());
}

/// Fails with a message naming the first non-finite entry (item = row, feature = column).
inline Status checkFinite(const at::Tensor &x, const QString &what)
{
    const at::Tensor bad = at::logical_not(at::isfinite(x));
    if (!bad.any().item<bool>()) {
        return Status::ok();
    }
    const at::Tensor where = bad.nonzero().select(0, 0).to(at::kCPU);
    const int64_t item = where[0].item<int64_t>();
    const int64_t feature = x.dim() > 1 ? where[1].item<int64_t>() : 0;
    const at::Tensor cell = x.dim() > 1 ? x.select(0, item).select(0, feature) : x.select(0, item);
    const double value = cell.item<double>();
    return Status::invalidInput(QStringLiteral("%1: item %2, feature %3 is %4 (not finite)")
                                        .arg(what)
                                        .arg(item)
                                        .arg(feature)
                                        .arg(value));
}

}  // namespace gyrus::gpu::detail
