#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace gyrus::test {

/// What one run of an executable printed and returned.
struct ProcessRun
{
    int exitCode = -1;  ///< -1: timed out (killed); -2: crashed
    QByteArray out;
    QString err;

    QString outText() const { return QString::fromUtf8(out); }
};

/// Runs `program` to completion (killing it after `timeoutMs`), as a user or script would.
ProcessRun runProcess(
        const QString &program, const QStringList &arguments, int timeoutMs = 60000,
        const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

}  // namespace gyrus::test
