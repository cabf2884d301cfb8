#include "core/base/child_process_probe.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <csignal>

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace gyrus {

namespace {

qint64 timeLimitMs(const QString &path)
{
    bool set = false;
    const qint64 forced = qEnvironmentVariable("GYRUS_READ_PROBE_TIMEOUT_MS").toLongLong(&set);
    if (set && forced > 0) {
        return forced;
    }
    return 30000 + QFileInfo(path).size() / (20 * 1024);
}

}  // namespace

Status probeReadInChildProcess(const QString &path, const std::function<void()> &read)
{
    const qint64 limit = timeLimitMs(path);
    const pid_t child = fork();
    if (child < 0) {
        return Status::ok();
    }
    if (child == 0) {
        // Never outlive the parent or the limit, even if the parent is killed while waiting.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(static_cast<unsigned>(limit / 1000 + 2));
        read();
        _exit(0);  // no atexit handlers, no flushing the parent's buffers twice
    }
    QElapsedTimer clock;
    clock.start();
    int status = 0;
    unsigned long pauseMs = 1;
    while (waitpid(child, &status, WNOHANG) == 0) {
        if (clock.elapsed() > limit) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            return Status::invalidInput(
                    QStringLiteral("%1: reading it did not finish in %2 s; the file is damaged "
                                   "(the HDF5 library loops on it)")
                            .arg(path)
                            .arg(double(limit) / 1000.0, 0, 'f', 1));
        }
        QThread::msleep(pauseMs);
        pauseMs = std::min<unsigned long>(pauseMs * 2, 20);
    }
    if (WIFSIGNALED(status)) {
        return Status::invalidInput(
                QStringLiteral("%1: reading it crashed the file library (signal %2); the file is "
                               "damaged")
                        .arg(path)
                        .arg(WTERMSIG(status)));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        // The child only exits non-zero when something aborted it from inside (a checker,
        // the C library): as damaged a file as one that crashes it.
        return Status::invalidInput(
                QStringLiteral("%1: reading it failed inside the file library (exit status %2); "
                               "the file is damaged")
                        .arg(path)
                        .arg(WEXITSTATUS(status)));
    }
    return Status::ok();
}

}  // namespace gyrus
