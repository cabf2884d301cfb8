// gyrus-cli prompts validate|import: prompt sets (legacy seed JSON or the Gyrus schema) on the
// command line.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/prompts/prompt_set_io.h"

#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <string>

namespace gyrus::cli {

namespace {

// ordered_json, not QJsonObject: "conditions" must list the conditions in design order, and
// QJsonObject sorts keys.
using Json = nlohmann::ordered_json;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

// The record both subcommands print: what the file is, its design, and every issue.
Json describe(const PromptSetLoad &load)
{
    const PromptSet &set = load.set;
    Json json = Json::object();
    json["file"] = utf8(set.sourceFile);
    json["name"] = utf8(set.name);
    json["format"] = utf8(promptSetFormatName(set.format));
    Json factors = Json::array();
    for (const PromptFactor &factor : set.factors) {
        Json levels = Json::array();
        for (const QString &level : factor.levels) {
            levels.push_back(utf8(level));
        }
        factors.push_back(Json{{"name", utf8(factor.name)}, {"levels", std::move(levels)}});
    }
    json["factors"] = std::move(factors);
    Json conditions = Json::object();
    for (const PromptCondition &condition : set.conditions()) {
        conditions[utf8(condition.label)] = condition.items.size();
    }
    json["conditions"] = std::move(conditions);
    json["items"] = set.items.size();
    Json issues = Json::array();
    int errors = 0;
    for (const PromptIssue &issue : load.issues) {
        errors += issue.isError() ? 1 : 0;
        Json entry = Json::object();
        entry["severity"] = utf8(issueSeverityName(issue.severity));
        entry["item"] = issue.itemIndex >= 0 ? Json(issue.itemIndex) : Json(nullptr);
        entry["message"] = utf8(issue.message);
        issues.push_back(std::move(entry));
    }
    json["errors"] = errors;
    json["warnings"] = static_cast<int>(load.issues.size()) - errors;
    json["issues"] = std::move(issues);
    return json;
}

void print(const Json &json)
{
    printText(QString::fromStdString(json.dump(4, ' ', false, Json::error_handler_t::replace)) +
              QLatin1Char('\n'));
}

// One line naming the first error and how many there are, for scripts that read stderr only.
QString errorSummary(const QList<PromptIssue> &issues)
{
    int errors = 0;
    QString first;
    for (const PromptIssue &issue : issues) {
        if (issue.isError()) {
            if (errors++ == 0) {
                first = issue.message;
            }
        }
    }
    return errors == 1 ? first : QStringLiteral("%1 errors; the first: %2").arg(errors).arg(first);
}

int runValidate(const QStringList &arguments)
{
    const QString name = QStringLiteral("prompts validate");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Check a prompt set (the seed's legacy JSON or the Gyrus schema) and print, as JSON, "
            "its format, factors, item count per condition, and every issue (errors and "
            "warnings, each naming the item). Exit code 2 when the file cannot be read or has "
            "errors; warnings alone exit 0."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The prompt-set JSON."));
    if (int exit = parseCommandLine(parser, name, arguments, 1, 1); exit >= 0) {
        return exit;
    }
    const Result<PromptSetLoad> load = loadPromptSet(parser.positionalArguments().first());
    if (!load) {
        return failWith(name, load.status());
    }
    print(describe(load.value()));
    if (hasErrors(load->issues)) {
        return fail(name, errorSummary(load->issues));
    }
    return kExitOk;
}

int runImport(const QStringList &arguments)
{
    const QString name = QStringLiteral("prompts import");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Convert a prompt set to the Gyrus schema (gyrus.promptset/1): a legacy file's "
            "conditions become factors and items with ids <condition>_<index>. Refuses a set "
            "with errors (run `prompts validate` to see them). Prints the same record as "
            "validate, with \"out\" added."));
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The prompt-set JSON."));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("Where to write the Gyrus JSON (required)."),
                                 QStringLiteral("OUT.json"));
    const QCommandLineOption setName(QStringLiteral("name"),
                                     QStringLiteral("The set's name (default: the file's)."),
                                     QStringLiteral("NAME"));
    const QCommandLineOption description(QStringLiteral("description"),
                                         QStringLiteral("The set's description."),
                                         QStringLiteral("TEXT"));
    parser.addOptions({out, setName, description});
    if (int exit = parseCommandLine(parser, name, arguments, 1, 1); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(out) || parser.value(out).isEmpty()) {
        return fail(name, QStringLiteral("missing --out OUT.json (see --help)"));
    }
    Result<PromptSetLoad> load = loadPromptSet(parser.positionalArguments().first());
    if (!load) {
        return failWith(name, load.status());
    }
    if (hasErrors(load->issues)) {
        print(describe(load.value()));
        return fail(name, QStringLiteral("not written: ") + errorSummary(load->issues));
    }
    PromptSet set = load->set;
    if (parser.isSet(setName)) {
        set.name = parser.value(setName);
    }
    if (parser.isSet(description)) {
        set.description = parser.value(description);
    }
    const QString path = parser.value(out);
    if (const Status saved = savePromptSet(set, path); !saved.isOk()) {
        return failWith(name, saved);
    }
    PromptSetLoad written = load.value();
    written.set = set;
    Json json = describe(written);
    json["out"] = utf8(QFileInfo(path).absoluteFilePath());
    print(json);
    return kExitOk;
}

QString usage()
{
    return QStringLiteral(
            "Usage: gyrus-cli prompts <validate|import> [options] FILE\n\n"
            "Prompt sets: the seed's legacy JSON (condition -> sentences) or the Gyrus schema.\n\n"
            "Subcommands:\n"
            "  validate FILE              Print the design and every issue as JSON.\n"
            "  import FILE --out OUT.json Convert to the Gyrus schema.\n\n"
            "`gyrus-cli prompts <subcommand> --help` explains one.\n");
}

int runPrompts(const QStringList &arguments)
{
    return runSubcommand(
            QStringLiteral("prompts"), arguments,
            {{QStringLiteral("validate"), &runValidate}, {QStringLiteral("import"), &runImport}},
            usage());
}

}  // namespace

Command promptsCommand()
{
    return {QStringLiteral("prompts"),
            QStringLiteral("Validate a prompt set, or import a legacy one to the Gyrus schema."),
            &runPrompts};
}

}  // namespace gyrus::cli
