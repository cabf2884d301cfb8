#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace gyrus::cli {

/// One `gyrus-cli <name>` command. `run` receives the arguments with arguments[0] set to
/// "gyrus-cli <name>" (so QCommandLineParser's help shows the full usage) and returns an exit
/// code from cli.h.
struct Command
{
    QString name;
    QString summary;
    std::function<int(const QStringList &arguments)> run;
};

/// Every command, sorted by name (the list is in command_registry.cpp, the commands in
/// commands.h: a static-library registration trick would be dropped by the linker).
QList<Command> commands();

/// Runs gyrus-cli with argv-style `arguments` (arguments[0] is the program). Catches every
/// exception, so callers get an exit code, never a crash.
int runCli(const QStringList &arguments);

}  // namespace gyrus::cli
