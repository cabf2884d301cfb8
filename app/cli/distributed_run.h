#pragma once
// One process of a gyrus-cli command that may run as one rank of several (torchrun's RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK; `gyrus-cli launch` sets them).

#include "core/base/status.h"
#include "gpu/distributed/distributed_environment.h"

#include <QCommandLineOption>
#include <QStringList>

#include <memory>

namespace gyrus::gpu {
class DistributedGroup;
}

namespace gyrus::cli {

/// --timeout SECONDS: how long a rank waits for the others (rendezvous, each collective).
QCommandLineOption distributedTimeoutOption();

/// The variables of this process; for a distributed run every later error line names the rank.
Result<gpu::DistributedEnvironment> rankEnvironment();

/// Joins the other ranks (a distributed `environment` only) and checks through the store that
/// every rank was started with the same `arguments`; with `collectives`, starts Gloo too.
Result<std::shared_ptr<gpu::DistributedGroup>> joinRanks(
        const gpu::DistributedEnvironment &environment, const QStringList &arguments,
        int timeoutSeconds, bool collectives);

}  // namespace gyrus::cli
