#include "tests/support/cli_run.h"

#include "app/cli/command_registry.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryFile>

#include <cstdio>

#include <unistd.h>

namespace gyrus::test {

namespace {

// While a command runs, Qt's log lines go to stderr as gyrus-cli's default handler writes them
// (QtTest's handler would send them to the test log instead).
void logToStderr(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray line = qFormatLogMessage(type, context, message).toLocal8Bit();
    std::fprintf(stderr, "%s\n", line.constData());
    std::fflush(stderr);
}

// Points file descriptor `fd` at `file` until destroyed.
class Redirect
{
public:
    Redirect(int fd, QTemporaryFile &file)
        : m_fd(fd)
        , m_saved(::dup(fd))
    {
        ::dup2(file.handle(), fd);
    }

    ~Redirect()
    {
        ::dup2(m_saved, m_fd);
        ::close(m_saved);
    }

    Redirect(const Redirect &) = delete;
    Redirect &operator=(const Redirect &) = delete;

private:
    int m_fd;
    int m_saved;
};

QByteArray readAll(QTemporaryFile &file)
{
    QFile reader(file.fileName());
    return reader.open(QIODevice::ReadOnly) ? reader.readAll() : QByteArray();
}

}  // namespace

ProcessRun runCliInProcess(const QStringList &arguments)
{
    QTemporaryFile out;
    QTemporaryFile err;
    ProcessRun run;
    if (!out.open() || !err.open()) {
        run.err = QStringLiteral("cannot create the files that capture gyrus-cli's output");
        return run;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    {
        const Redirect toOut(STDOUT_FILENO, out);
        const Redirect toErr(STDERR_FILENO, err);
        const QtMessageHandler previous = qInstallMessageHandler(logToStderr);
        run.exitCode = cli::runCli(QStringList{QStringLiteral("gyrus-cli")} + arguments);
        qInstallMessageHandler(previous);
        std::fflush(stdout);
        std::fflush(stderr);
    }
    run.out = readAll(out);
    run.err = QString::fromUtf8(readAll(err));
    return run;
}

ProcessRun runCli(const QStringList &arguments, const QProcessEnvironment &environment)
{
    const bool processMode =
            !environment.isEmpty() ||
            qEnvironmentVariable("GYRUS_CLI_TEST_MODE") == QLatin1String("process");
    if (!processMode) {
        return runCliInProcess(arguments);
    }
    return runProcess(
            QStringLiteral(GYRUS_CLI_PATH), arguments, 300000,
            environment.isEmpty() ? QProcessEnvironment::systemEnvironment() : environment);
}

QJsonObject runCliJson(const QStringList &arguments)
{
    const ProcessRun run = runCli(arguments);
    if (run.exitCode != 0) {
        qWarning("gyrus-cli %s: exit %d: %s", qPrintable(arguments.join(QLatin1Char(' '))),
                 run.exitCode, qPrintable(run.err));
        return {};
    }
    return QJsonDocument::fromJson(run.out).object();
}

}  // namespace gyrus::test
