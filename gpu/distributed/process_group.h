#pragma once
// A data-parallel group of processes on torch's c10d: rank 0 serves a TCPStore at
// MASTER_ADDR:MASTER_PORT for the rendezvous and small messages, and ProcessGroupGloo carries the
// collectives (CPU tensors; NCCL would carry GPU ones). Torch-free facade; the reducer the trainer
// uses is gpu/sae/training/batch_reducer.h.

#include "core/base/status.h"
#include "gpu/distributed/distributed_environment.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace gyrus::gpu {

namespace detail {
class BatchReducer;
}

class DistributedGroup
{
public:
    /// Connects to the rendezvous (rank 0 listens, the others connect), waiting at most
    /// `timeoutSeconds` for every rank to arrive. `timeoutSeconds` also bounds every later wait:
    /// a collective that does not complete within it fails (a rank died or hangs). Errors are one
    /// line: the port in use on rank 0, rank 0 unreachable, ranks missing.
    static Result<std::shared_ptr<DistributedGroup>> join(const DistributedEnvironment &environment,
                                                          int timeoutSeconds);

    ~DistributedGroup();
    DistributedGroup(const DistributedGroup &) = delete;
    DistributedGroup &operator=(const DistributedGroup &) = delete;

    const DistributedEnvironment &environment() const;
    int rank() const;
    int worldSize() const;

    /// Every rank publishes `fingerprint` (a hash of its configuration) through the store and
    /// compares: rank 0 with every rank, the others with rank 0. A mismatch is InvalidInput that
    /// names the ranks that differ, on every rank involved.
    Status checkSameConfiguration(const QByteArray &fingerprint, const QString &what);

    /// Starts the Gloo process group (the collectives of reducer()).
    Status startCollectives();

    /// Every rank says whether it is ready (`mine`: ok, or why not) and hears the others: a rank
    /// that failed returns its own error at once (after the others have heard it); a ready rank
    /// returns "rank R could not start: ..." naming the first rank that failed, or, when every
    /// rank is ready, starts the collectives. So one bad input fails every rank with a line
    /// that says where, instead of leaving the others to time out.
    Status startTogether(const Status &mine);

    /// The collectives; null before startCollectives().
    std::shared_ptr<detail::BatchReducer> reducer() const;

    /// Publishes a small value under `key` for the other ranks.
    Status publish(const QString &key, const QByteArray &value);
    /// Waits (at most the timeout) for `key` and returns its value.
    Result<QByteArray> waitFor(const QString &key);

private:
    DistributedGroup();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
