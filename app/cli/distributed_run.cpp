#include "app/cli/distributed_run.h"

#include "app/cli/cli.h"
#include "gpu/distributed/process_group.h"

namespace gyrus::cli {

QCommandLineOption distributedTimeoutOption()
{
    return {QStringLiteral("timeout"),
            QStringLiteral("Distributed runs: seconds a rank waits for the others (to join, and "
                           "in each collective) before it fails (600)."),
            QStringLiteral("SECONDS"), QStringLiteral("600")};
}

Result<gpu::DistributedEnvironment> rankEnvironment()
{
    Result<gpu::DistributedEnvironment> environment = gpu::distributedEnvironment();
    // Commands may run in-process one after another (tests): the label is this run's alone.
    setRankLabel(environment && environment->isDistributed() ? environment->label() : QString());
    return environment;
}

Result<std::shared_ptr<gpu::DistributedGroup>> joinRanks(
        const gpu::DistributedEnvironment &environment, const QStringList &arguments,
        int timeoutSeconds, bool collectives)
{
    if (!environment.isDistributed()) {
        return std::shared_ptr<gpu::DistributedGroup>();
    }
    Result<std::shared_ptr<gpu::DistributedGroup>> group =
            gpu::DistributedGroup::join(environment, timeoutSeconds);
    if (!group) {
        return group.status();
    }
    // Ranks started with different options would train different models in lockstep (or
    // deadlock on mismatched collectives): compare a hash of the command line first.
    const QByteArray fingerprint = arguments.mid(1).join(QChar(0)).toUtf8();
    if (Status same =
                group.value()->checkSameConfiguration(fingerprint, QStringLiteral("command line"));
        !same.isOk()) {
        return same;
    }
    if (collectives) {
        if (Status started = group.value()->startCollectives(); !started.isOk()) {
            return started;
        }
    }
    return group;
}

}  // namespace gyrus::cli
