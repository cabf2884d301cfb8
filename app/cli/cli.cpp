#include "app/cli/cli.h"

#include <QJsonDocument>

#include <cstdio>

namespace gyrus::cli {

namespace {

QString &rankLabel()
{
    static QString label;
    return label;
}

}  // namespace

void setRankLabel(const QString &label)
{
    rankLabel() = label;
}

int fail(const QString &command, const QString &message, int code)
{
    // One line, always: multi-line messages are joined so `2>err; head -1 err` is the whole story.
    QString line = message;
    line.replace(QLatin1Char('\n'), QLatin1String("; "));
    if (!rankLabel().isEmpty()) {
        line.prepend(rankLabel() + QStringLiteral(": "));
    }
    std::fprintf(stderr, "gyrus-cli %s: %s\n", qPrintable(command), qPrintable(line));
    return code;
}

int failWith(const QString &command, const Status &status)
{
    if (status.isOk()) {
        return kExitOk;
    }
    const bool userCanFix =
            status.code() == Status::Code::InvalidInput || status.code() == Status::Code::NotFound;
    return fail(command, status.message(), userCanFix ? kExitBadInput : kExitInternalError);
}

void printJson(const QJsonObject &object)
{
    const QByteArray bytes = QJsonDocument(object).toJson(QJsonDocument::Indented);
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

void printText(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

int parseCommandLine(QCommandLineParser &parser, const QString &command,
                     const QStringList &arguments, int minPositional, int maxPositional)
{
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show help for this command."));
    parser.addOption(help);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    if (!parser.parse(arguments)) {
        return fail(command, parser.errorText() + QStringLiteral(" (see --help)"));
    }
    if (parser.isSet(help)) {
        // helpText() names the executable's path; show the command as the user types it.
        QString text = parser.helpText();
        const QString usage = QStringLiteral("Usage: ");
        if (text.startsWith(usage)) {
            const int end = static_cast<int>(text.indexOf(QLatin1Char(' '), usage.size()));
            text.replace(0, end < 0 ? text.size() : end, usage + arguments.value(0));
        }
        printText(text);
        return kExitOk;
    }
    const int count = static_cast<int>(parser.positionalArguments().size());
    if (count < minPositional) {
        return fail(command, QStringLiteral("missing argument (see --help)"));
    }
    if (maxPositional >= 0 && count > maxPositional) {
        return fail(command, QStringLiteral("unexpected argument '%1' (see --help)")
                                     .arg(parser.positionalArguments().value(maxPositional)));
    }
    return -1;
}

int runSubcommand(const QString &command, const QStringList &arguments,
                  const QList<Subcommand> &subcommands, const QString &usage)
{
    const QString sub = arguments.value(1);
    if (sub == QLatin1String("-h") || sub == QLatin1String("--help")) {
        printText(usage);
        return kExitOk;
    }
    QStringList names;
    for (const Subcommand &subcommand : subcommands) {
        if (subcommand.name == sub) {
            QStringList rest = arguments.mid(2);
            rest.prepend(arguments.value(0) + QLatin1Char(' ') + sub);
            return subcommand.run(rest);
        }
        names << subcommand.name;
    }
    const QString choices = names.size() < 2
                                    ? names.join(QString())
                                    : names.mid(0, names.size() - 1).join(QStringLiteral(", ")) +
                                              QStringLiteral(" or ") + names.last();
    if (sub.isEmpty()) {
        return fail(command, QStringLiteral("missing subcommand: %1 (see --help)").arg(choices));
    }
    return fail(command,
                QStringLiteral("unknown subcommand '%1': use %2 (see --help)").arg(sub, choices));
}

}  // namespace gyrus::cli
