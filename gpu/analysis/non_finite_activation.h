#pragma once
// Where a captured activation's first NaN or infinity is: a model whose weights are finite can
// still overflow (a huge embedding row, float16 residuals), and a NaN carried into a heatmap or
// an RDM silently turns every statistic that touches it into NaN. Callers fail the request with
// this text, prefixed by what they know (the text or item).

#include "gpu/model/language_model.h"

#include <QString>

#include <cmath>
#include <cstdint>

namespace gyrus::gpu::detail {

/// Empty when every value is finite; otherwise "non-finite activation at hook
/// 'blocks.0.hook_resid_post', token 3: nan at dimension 17 (1152 non-finite values there)"
/// for `rows`, one sequence's capture [tokens, d_model] at `hookName` (token = row).
inline QString describeNonFiniteActivation(const QString &hookName, const FloatTensor &rows)
{
    const int64_t width = rows.shape.size() == 2 && rows.shape[1] > 0 ? rows.shape[1] : 1;
    int64_t first = -1;
    int64_t count = 0;
    for (size_t i = 0; i < rows.values.size(); ++i) {
        if (!std::isfinite(rows.values[i])) {
            if (first < 0) {
                first = int64_t(i);
            }
            ++count;
        }
    }
    if (count == 0) {
        return {};
    }
    return QStringLiteral(
                   "non-finite activation at hook '%1', token %2: %3 at dimension %4 (%5 "
                   "non-finite value%6 there); the model overflows on this input")
            .arg(hookName)
            .arg(first / width)
            .arg(double(rows.values[size_t(first)]))
            .arg(first % width)
            .arg(count)
            .arg(count == 1 ? QString() : QStringLiteral("s"));
}

}  // namespace gyrus::gpu::detail
