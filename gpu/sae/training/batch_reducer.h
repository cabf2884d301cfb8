#pragma once
// Private to gyrus_gpu (and tests/gpu). The other ranks of a data-parallel training step, as the
// trainer and the objective see them: sums, minima and gathers over every rank's tensors.
// Implemented on torch's c10d (ProcessGroupGloo) in gpu/distributed/process_group.cpp.

#include <ATen/ATen.h>

#include <stdexcept>
#include <vector>

namespace gyrus::gpu::detail {

/// Thrown when a collective fails: a rank exited, stopped answering within the timeout, or the
/// connection broke. The message is one line that says so.
class CollectiveError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class BatchReducer
{
public:
    virtual ~BatchReducer() = default;

    virtual int rank() const = 0;
    virtual int worldSize() const = 0;

    /// Replaces every tensor by its sum over the ranks (the same shapes and dtypes on every rank;
    /// contiguous CPU tensors). Tensors of one dtype travel in buckets of at most a few MB, each
    /// one all-reduce, all in flight at once. Every rank gets the same bits.
    virtual void sum(const std::vector<at::Tensor> &tensors) = 0;

    /// Element-wise minimum / maximum over the ranks, in place.
    virtual void minimum(const at::Tensor &tensor) = 0;
    virtual void maximum(const at::Tensor &tensor) = 0;

    /// Every rank's `tensor` (the same shape everywhere) stacked in rank order: [world, ...].
    virtual at::Tensor gather(const at::Tensor &tensor) = 0;

    /// Wall time spent waiting in collectives since construction (for the scaling figures).
    virtual double secondsInCollectives() const = 0;
};

}  // namespace gyrus::gpu::detail
