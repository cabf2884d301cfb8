#pragma once
// Private to gyrus_gpu: the pooled selection scores (feature_selection.h) of many training sets
// drawn from one items × features table, as the folds of a method comparison need them. The
// table is sorted once per feature; each training set then costs a few passes over [items,
// features] whatever the method, because every pooled score follows from per-condition sums:
//   Σ_{i<j} |x_i − x_j| over a sorted set = Σ_k x_(k) (2k − n + 1)   (k the 0-based rank),
//   Σ_{i<j} (x_i − x_j)² = n · Σ_i (x_i − x̄)²,
//   Σ_{a∈A, b∈B} (a − b)² = n_B SS_A + n_A SS_B + n_A n_B (x̄_A − x̄_B)²,
// so no item-pair × feature matrix is ever formed.

#include "gpu/analysis/feature_selection.h"

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <vector>

namespace gyrus::gpu::detail {

constexpr size_t kPooledMethodCount = 5;

/// One items × features table prepared for many training sets.
struct SelectionTable
{
    at::Tensor x;       ///< [N, F] float64
    at::Tensor sorted;  ///< [N, F] each column ascending
    at::Tensor order;   ///< [N, F] int64: the item of each sorted entry
};

/// Sorts `x` ([N, F] float64, finite) once per feature.
SelectionTable selectionTable(const at::Tensor &x);

/// Per-feature scores ([F] float64) of the training set made of `rowsA` (condition 0) and
/// `rowsB` (condition 1), each in increasing item order and at least two long; only the methods
/// in `wanted` are computed (the others stay undefined tensors). Univariate and mean-difference
/// scores equal, bit for bit, what a two-group contrast of the same rows gives.
std::array<at::Tensor, kPooledMethodCount> pooledScores(const SelectionTable &table,
                                                        const std::vector<int64_t> &rowsA,
                                                        const std::vector<int64_t> &rowsB,
                                                        const std::vector<SelectionMethod> &wanted);

/// The slot of a pooled method in pooledScores()' array.
inline size_t pooledSlot(SelectionMethod method)
{
    return static_cast<size_t>(method);
}

}  // namespace gyrus::gpu::detail
