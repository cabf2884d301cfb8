#include "gpu/distributed/distributed_environment.h"

namespace gyrus::gpu {

QString DistributedEnvironment::label() const
{
    return QStringLiteral("rank %1/%2").arg(rank).arg(worldSize);
}

namespace {

// The integer value of `name`, or why it is not one.
Result<int> integerVariable(const QProcessEnvironment &environment, const QString &name)
{
    const QString text = environment.value(name);
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok) {
        return Status::invalidInput(QStringLiteral("%1='%2' is not an integer").arg(name, text));
    }
    return value;
}

}  // namespace

Result<DistributedEnvironment> distributedEnvironment(const QProcessEnvironment &environment)
{
    const QString kRank = QStringLiteral("RANK");
    const QString kWorld = QStringLiteral("WORLD_SIZE");
    const QString kAddress = QStringLiteral("MASTER_ADDR");
    const QString kPort = QStringLiteral("MASTER_PORT");
    const QString kLocal = QStringLiteral("LOCAL_RANK");
    DistributedEnvironment env;
    const bool hasRank = environment.contains(kRank);
    const bool hasWorld = environment.contains(kWorld);
    if (!hasRank && !hasWorld) {
        return env;
    }
    if (hasRank != hasWorld) {
        return Status::invalidInput(
                QStringLiteral("%1 is set but %2 is not: a distributed run needs both (or "
                               "start the ranks with gyrus-cli launch --nproc N)")
                        .arg(hasRank ? kRank : kWorld, hasRank ? kWorld : kRank));
    }
    Result<int> world = integerVariable(environment, kWorld);
    if (!world) {
        return world.status();
    }
    Result<int> rank = integerVariable(environment, kRank);
    if (!rank) {
        return rank.status();
    }
    if (world.value() < 1) {
        return Status::invalidInput(
                QStringLiteral("WORLD_SIZE=%1 must be at least 1").arg(world.value()));
    }
    if (rank.value() < 0 || rank.value() >= world.value()) {
        return Status::invalidInput(QStringLiteral("RANK=%1 must lie in 0..WORLD_SIZE-1 (0..%2)")
                                            .arg(rank.value())
                                            .arg(world.value() - 1));
    }
    env.rank = rank.value();
    env.worldSize = world.value();
    env.localRank = env.rank;
    if (environment.contains(kLocal)) {
        Result<int> local = integerVariable(environment, kLocal);
        if (!local) {
            return local.status();
        }
        if (local.value() < 0 || local.value() >= env.worldSize) {
            return Status::invalidInput(
                    QStringLiteral("LOCAL_RANK=%1 must lie in 0..WORLD_SIZE-1 (0..%2)")
                            .arg(local.value())
                            .arg(env.worldSize - 1));
        }
        env.localRank = local.value();
    }
    if (env.worldSize == 1) {
        return env;
    }
    env.masterAddress = environment.value(kAddress).trimmed();
    if (env.masterAddress.isEmpty()) {
        return Status::invalidInput(QStringLiteral(
                "MASTER_ADDR is not set: every rank needs the address of rank 0's host"));
    }
    if (!environment.contains(kPort)) {
        return Status::invalidInput(QStringLiteral(
                "MASTER_PORT is not set: every rank needs the port rank 0 listens on"));
    }
    Result<int> port = integerVariable(environment, kPort);
    if (!port) {
        return port.status();
    }
    if (port.value() < 1 || port.value() > 65535) {
        return Status::invalidInput(
                QStringLiteral("MASTER_PORT=%1 is not a port number (1-65535)").arg(port.value()));
    }
    env.masterPort = port.value();
    return env;
}

}  // namespace gyrus::gpu
