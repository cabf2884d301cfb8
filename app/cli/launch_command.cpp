// gyrus-cli launch: start N ranks of a gyrus-cli command on this host, as torchrun does.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/number_options.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gyrus::cli {

namespace {

// A port the kernel considers free right now (bound to port 0, read back, released).
int freePort(const QString &address)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    sockaddr_in socketAddress{};
    socketAddress.sin_family = AF_INET;
    socketAddress.sin_port = 0;
    if (::inet_pton(AF_INET, address.toLatin1().constData(), &socketAddress.sin_addr) != 1) {
        socketAddress.sin_addr.s_addr = htonl(INADDR_ANY);
    }
    int port = 0;
    socklen_t length = sizeof(socketAddress);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&socketAddress), sizeof(socketAddress)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&socketAddress), &length) == 0) {
        port = ntohs(socketAddress.sin_port);
    }
    ::close(fd);
    return port;
}

struct Rank
{
    std::unique_ptr<QProcess> process;
    bool running = true;
    int exitCode = 0;
};

int runLaunch(const QStringList &arguments)
{
    const QString name = QStringLiteral("launch");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Start --nproc ranks of a gyrus-cli command on this host, each with torchrun's "
            "variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, "
            "MASTER_PORT; OMP_NUM_THREADS = cores / nproc unless set), and wait for them: "
            "`gyrus-cli launch --nproc 2 -- sae train --activations acts.index.json ...`. The "
            "ranks write to this terminal; rank 0 prints the result. When a rank fails, the "
            "others fail on their own as their collectives break (each with its own line); those "
            "still running after --grace seconds are stopped. Exits with the first failing "
            "rank's code."));
    parser.addOptions({
            {QStringLiteral("nproc"), QStringLiteral("Ranks to start (>= 1)."),
             QStringLiteral("N")},
            {QStringLiteral("master-addr"),
             QStringLiteral("Address rank 0 serves the rendezvous on (127.0.0.1)."),
             QStringLiteral("ADDR"), QStringLiteral("127.0.0.1")},
            {QStringLiteral("master-port"),
             QStringLiteral("Its port (default: MASTER_PORT if set, else a free port)."),
             QStringLiteral("PORT")},
            {QStringLiteral("grace"),
             QStringLiteral("Seconds the other ranks get to exit after one fails (30)."),
             QStringLiteral("SECONDS")},
    });
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("The gyrus-cli command and its arguments, after "
                                                "--."),
                                 QStringLiteral("-- COMMAND [ARGS...]"));
    if (int exit = parseCommandLine(parser, name, arguments, 1, -1); exit >= 0) {
        return exit;
    }
    const auto nproc = integerOption(parser, name, QStringLiteral("nproc"), 0, 1);
    const auto grace = integerOption(parser, name, QStringLiteral("grace"), 30, 0);
    if (!nproc || !grace) {
        return kExitBadInput;
    }
    if (*nproc < 1) {
        return fail(name, QStringLiteral("--nproc N is required (see --help)"));
    }
    const QStringList command = parser.positionalArguments();
    if (command.first() == QLatin1String("launch")) {
        return fail(name, QStringLiteral("cannot launch launch"));
    }
    const QString address = parser.value(QStringLiteral("master-addr"));
    const QProcessEnvironment system = QProcessEnvironment::systemEnvironment();
    QString port = parser.value(QStringLiteral("master-port"));
    if (port.isEmpty()) {
        port = system.value(QStringLiteral("MASTER_PORT"));
    }
    if (port.isEmpty()) {
        const int free = freePort(address);
        if (free == 0) {
            return fail(
                    name,
                    QStringLiteral("found no free port on %1: give --master-port").arg(address));
        }
        port = QString::number(free);
    }
    // Ranks share the cores: OpenMP threads beyond cores / N only contend (ARCHITECTURE.md §2).
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const QString threads = QString::number(std::max<int64_t>(1, cores / *nproc));

    std::vector<Rank> ranks(static_cast<size_t>(*nproc));
    for (int64_t r = 0; r < *nproc; ++r) {
        QProcessEnvironment environment = system;
        environment.insert(QStringLiteral("RANK"), QString::number(r));
        environment.insert(QStringLiteral("LOCAL_RANK"), QString::number(r));
        environment.insert(QStringLiteral("WORLD_SIZE"), QString::number(*nproc));
        environment.insert(QStringLiteral("LOCAL_WORLD_SIZE"), QString::number(*nproc));
        environment.insert(QStringLiteral("MASTER_ADDR"), address);
        environment.insert(QStringLiteral("MASTER_PORT"), port);
        if (!environment.contains(QStringLiteral("OMP_NUM_THREADS"))) {
            environment.insert(QStringLiteral("OMP_NUM_THREADS"), threads);
        }
        Rank &rank = ranks[static_cast<size_t>(r)];
        rank.process = std::make_unique<QProcess>();
        rank.process->setProcessChannelMode(QProcess::ForwardedChannels);
        rank.process->setInputChannelMode(QProcess::ForwardedInputChannel);
        rank.process->setProcessEnvironment(environment);
        rank.process->start(QCoreApplication::applicationFilePath(), command);
        if (!rank.process->waitForStarted(30000)) {
            for (Rank &started : ranks) {
                if (started.process && started.process->state() != QProcess::NotRunning) {
                    started.process->kill();
                    started.process->waitForFinished(5000);
                }
            }
            return fail(name,
                        QStringLiteral("cannot start rank %1: %2")
                                .arg(r)
                                .arg(rank.process->errorString()),
                        kExitInternalError);
        }
    }
    int firstFailure = -1;
    QElapsedTimer sinceFailure;
    int running = static_cast<int>(ranks.size());
    while (running > 0) {
        for (size_t r = 0; r < ranks.size(); ++r) {
            Rank &rank = ranks[r];
            if (!rank.running || !rank.process->waitForFinished(20)) {
                continue;
            }
            rank.running = false;
            --running;
            const bool crashed = rank.process->exitStatus() == QProcess::CrashExit;
            rank.exitCode = crashed ? kExitInternalError : rank.process->exitCode();
            if (crashed && firstFailure < 0) {
                fail(name, QStringLiteral("rank %1/%2 was killed by a signal").arg(r).arg(*nproc),
                     kExitInternalError);
            }
            if (rank.exitCode != 0 && firstFailure < 0) {
                firstFailure = static_cast<int>(r);
                sinceFailure.start();
            }
        }
        if (firstFailure >= 0 && running > 0 && sinceFailure.elapsed() > *grace * 1000) {
            QStringList stopped;
            for (size_t r = 0; r < ranks.size(); ++r) {
                if (ranks[r].running) {
                    ranks[r].process->kill();
                    ranks[r].process->waitForFinished(5000);
                    ranks[r].running = false;
                    stopped << QString::number(r);
                }
            }
            running = 0;
            fail(name,
                 QStringLiteral("stopped rank%1 %2, still running %3 s after rank %4 failed")
                         .arg(stopped.size() > 1 ? QStringLiteral("s") : QString(),
                              stopped.join(QStringLiteral(", ")))
                         .arg(*grace)
                         .arg(firstFailure),
                 kExitInternalError);
        }
    }
    return firstFailure < 0 ? kExitOk : ranks[static_cast<size_t>(firstFailure)].exitCode;
}

}  // namespace

Command launchCommand()
{
    return {QStringLiteral("launch"),
            QStringLiteral("Start N ranks of a command on this host (torchrun's variables)."),
            &runLaunch};
}

}  // namespace gyrus::cli
