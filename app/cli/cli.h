#pragma once

#include "core/base/status.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>

namespace gyrus::cli {

/// Exit codes shared by every command: scripts rely on them.
enum ExitCode : int
{
    kExitOk = 0,
    kExitInternalError = 1,  ///< a bug or an unexpected failure
    kExitBadInput = 2,       ///< bad arguments or bad files: the user can fix it
};

/// Writes "gyrus-cli <command>: <message>" as one line on stderr and returns `code`. In a
/// process that is one rank of a distributed run (setRankLabel), the line names the rank:
/// "gyrus-cli <command>: rank 1/4: <message>".
int fail(const QString &command, const QString &message, int code = kExitBadInput);

/// "rank R/W" for the messages of one rank of a distributed run; empty (the default) for none.
void setRankLabel(const QString &label);

/// Maps a Status to the exit code and the one-line error above (kExitOk for an ok Status).
int failWith(const QString &command, const Status &status);

/// Prints a JSON record (indented) to stdout.
void printJson(const QJsonObject &object);

/// Prints text to stdout.
void printText(const QString &text);

/// Parses `arguments` (arguments[0] is "gyrus-cli <command>") with a --help option added.
/// Returns -1 when the command should go on; otherwise the exit code to return at once (0 after
/// printing help, 2 after reporting a parse error or unexpected positional arguments).
/// `maxPositional` < 0 accepts any number of positional arguments.
int parseCommandLine(QCommandLineParser &parser, const QString &command,
                     const QStringList &arguments, int minPositional = 0, int maxPositional = 0);

/// One `gyrus-cli <command> <name>` subcommand; `run` gets arguments[0] = "gyrus-cli <command>
/// <name>".
struct Subcommand
{
    QString name;
    std::function<int(const QStringList &arguments)> run;
};

/// Dispatches `gyrus-cli <command> <subcommand> ...`: prints `usage` for -h/--help, and one line
/// ("missing subcommand: a, b or c", "unknown subcommand 'x': use a, b or c") with exit 2 when
/// the subcommand is missing or unknown.
int runSubcommand(const QString &command, const QStringList &arguments,
                  const QList<Subcommand> &subcommands, const QString &usage);

}  // namespace gyrus::cli
