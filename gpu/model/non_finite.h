#pragma once
// Where a tensor's first NaN or infinity is, for messages that name it: a researcher with a
// damaged checkpoint needs the tensor and the element, not only "holds NaN".

#include <QString>
#include <QStringList>

#include <ATen/ATen.h>

#include <cstdint>

namespace gyrus::gpu::detail {

/// Empty when every element is finite; otherwise "nan at [3, 17], 5 non-finite values in all"
/// (the first in row-major order).
inline QString describeNonFinite(const at::Tensor &tensor)
{
    const at::Tensor bad = at::logical_not(at::isfinite(tensor));
    const int64_t count = bad.sum().item<int64_t>();
    if (count == 0) {
        return {};
    }
    const at::Tensor first = bad.flatten().nonzero().select(0, 0).to(at::kCPU);
    int64_t flat = first.item<int64_t>();
    const double value = tensor.flatten().select(0, flat).to(at::kDouble).item<double>();
    QStringList index;
    for (int64_t dim = tensor.dim() - 1; dim >= 0; --dim) {
        index.prepend(QString::number(flat % tensor.size(dim)));
        flat /= tensor.size(dim);
    }
    return QStringLiteral("%1 at [%2], %3 non-finite value%4 in all")
            .arg(QString::number(value), index.join(QStringLiteral(", ")))
            .arg(count)
            .arg(count == 1 ? QString() : QStringLiteral("s"));
}

}  // namespace gyrus::gpu::detail
