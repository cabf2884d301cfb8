#pragma once
// The launch conventions of torchrun: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK.
// Torch-free (the process group is gpu/distributed/process_group.h).

#include "core/base/status.h"

#include <QProcessEnvironment>
#include <QString>

namespace gyrus::gpu {

struct DistributedEnvironment
{
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    QString masterAddress;
    int masterPort = 0;

    bool isDistributed() const { return worldSize > 1; }

    /// "rank 1/4", the prefix of every per-rank message.
    QString label() const;
};

/// Reads the variables. None of RANK and WORLD_SIZE set (or WORLD_SIZE=1, RANK=0): one process.
/// Otherwise both must be integers with 0 ≤ RANK < WORLD_SIZE, MASTER_ADDR must be set and
/// MASTER_PORT must be a port number (1–65535); LOCAL_RANK, when set, an integer in
/// 0..WORLD_SIZE−1. Any other case is InvalidInput naming the variable and its value.
Result<DistributedEnvironment> distributedEnvironment(
        const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

}  // namespace gyrus::gpu
