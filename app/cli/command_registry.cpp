#include "app/cli/command_registry.h"

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/base/version.h"

#include <algorithm>
#include <exception>
#include <new>

namespace gyrus::cli {

namespace {

const QList<Command> &registry()
{
    // One command per line, so that adding one is a one-line change.
    // clang-format off
    static const QList<Command> all = {
            envCommand(),
            cacheCommand(),
            representCommand(),
            scanCommand(),
            selectFeaturesCommand(),
            compareMethodsCommand(),
            replicateCommand(),
            judgeMethodsCommand(),
            contrastCommand(),
            rdmCommand(),
            rsaCommand(),
            lmEvalCommand(),
            trainLmCommand(),
            promptsCommand(),
            tokenizerCommand(),
            tokenizeCommand(),
            infoCommand(),
            forwardCommand(),
            generateCommand(),
            saeCommand(),
            launchCommand(),
            explainCommand(),
            scoreCommand(),
            attributeCommand(),
            logitLensCommand(),
            attentionCommand(),
            conceptVectorCommand(),
            patchCommand(),
            searchFeaturesCommand(),
            conceptSweepCommand(),
    };
    // clang-format on
    return all;
}

QString usage()
{
    QString text = QStringLiteral(
            "Usage: gyrus-cli <command> [options]\n\n"
            "Gyrus on the command line: every engine job as a command, JSON where the result is a "
            "record.\n\nCommands:\n");
    for (const Command &command : commands()) {
        text += QStringLiteral("  %1%2\n").arg(command.name, -16).arg(command.summary);
    }
    text += QStringLiteral(
            "\nOptions:\n  -h, --help      Show this help; `gyrus-cli <command> --help` for a "
            "command.\n  -v, --version   Show the version.\n\nExit codes: 0 ok, 1 internal error, "
            "2 "
            "bad input.\n");
    return text;
}

}  // namespace

QList<Command> commands()
{
    QList<Command> sorted = registry();
    std::sort(sorted.begin(), sorted.end(),
              [](const Command &a, const Command &b) { return a.name < b.name; });
    return sorted;
}

int runCli(const QStringList &arguments)
{
    const QString first = arguments.value(1);
    if (first.isEmpty()) {
        std::fputs(qPrintable(usage()), stderr);
        return kExitBadInput;
    }
    if (first == QLatin1String("-h") || first == QLatin1String("--help") ||
        first == QLatin1String("help")) {
        const QString topic = arguments.value(2);
        if (!topic.isEmpty()) {
            return runCli({arguments.value(0), topic, QStringLiteral("--help")});
        }
        printText(usage());
        return kExitOk;
    }
    if (first == QLatin1String("-v") || first == QLatin1String("--version")) {
        printText(QStringLiteral("gyrus-cli %1\n").arg(versionString()));
        return kExitOk;
    }
    for (const Command &command : registry()) {
        if (command.name != first) {
            continue;
        }
        QStringList commandArguments = arguments.mid(2);
        commandArguments.prepend(QStringLiteral("gyrus-cli ") + command.name);
        try {
            return command.run(commandArguments);
        } catch (const std::bad_alloc &) {
            return fail(first, QStringLiteral("out of memory; try a smaller batch or input"),
                        kExitInternalError);
        } catch (const std::exception &e) {
            return fail(first,
                        QStringLiteral("internal error: %1").arg(QString::fromUtf8(e.what())),
                        kExitInternalError);
        } catch (...) {
            return fail(first, QStringLiteral("internal error (unknown exception)"),
                        kExitInternalError);
        }
    }
    return fail(
            QStringLiteral("(no command)"),
            QStringLiteral("unknown command '%1'; run gyrus-cli --help for the list").arg(first));
}

}  // namespace gyrus::cli
