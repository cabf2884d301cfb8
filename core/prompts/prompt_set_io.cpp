#include "core/prompts/prompt_set_io.h"

#include "core/prompts/legacy_prompt_set.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QSet>

#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <unordered_set>
#include <utility>

namespace gyrus {

namespace {

// ordered_json keeps object keys in file order: a legacy file's conditions are its design, and
// QJsonDocument would sort them.
using Json = nlohmann::ordered_json;

// Prompt sets are hand-sized; anything this large is the wrong file.
constexpr qint64 kMaxFileBytes = 256ll * 1024 * 1024;

// The Gyrus schema nests 4 levels (set, items, item, target). Deeper files are refused before
// parsing: ordered_json copies a value recursively when its parent object grows, so a file nested
// ~100k deep would overflow the stack.
constexpr int kMaxNesting = 64;

QString fromJson(const Json &value)
{
    return QString::fromStdString(value.get_ref<const std::string &>());
}

std::string toJson(const QString &text)
{
    return text.toStdString();
}

QString typeName(const Json &value)
{
    return QString::fromLatin1(value.type_name());
}

// A number, boolean or null as written, for messages; nothing for containers, whose dump() could
// be huge (and recurses as deep as the file nests).
QString scalarText(const Json &value)
{
    return value.is_primitive() && !value.is_string() ? QString::fromStdString(value.dump())
                                                      : QString();
}

// Deepest bracket nesting outside strings. Only a guard: malformed input is left to the parser.
int nestingDepth(const QByteArray &json)
{
    int depth = 0;
    int deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json.at(i);
        if (inString) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                inString = false;
            }
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = qMax(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

QString nameOf(const QString &sourceFile)
{
    return sourceFile.isEmpty() ? QStringLiteral("(prompt set)") : QFileInfo(sourceFile).fileName();
}

// Reads `object[key]` into `out` when it is a string; absent or null leaves `out` alone.
// Returns the problem when the field has another type.
std::optional<QString> readString(const Json &object, const char *key, QString *out)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_string()) {
        return QStringLiteral("'%1' must be a string, got %2")
                .arg(QLatin1String(key), typeName(*it));
    }
    *out = fromJson(*it);
    return std::nullopt;
}

std::optional<QString> readStringList(const Json &value, QStringList *out)
{
    if (!value.is_array()) {
        return QStringLiteral("must be a list of strings, got %1").arg(typeName(value));
    }
    for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
            return QStringLiteral("element %1 must be a string, got %2")
                    .arg(i)
                    .arg(typeName(value[i]));
        }
        out->append(fromJson(value[i]));
    }
    return std::nullopt;
}

Result<PromptSet> legacyFromJson(const Json &root, const QString &sourceFile,
                                 QList<PromptIssue> *notes)
{
    const QString where = nameOf(sourceFile);
    if (root.empty()) {
        return Status::invalidInput(
                where + QStringLiteral(": no conditions (the object is empty); a legacy prompt "
                                       "set maps each condition label to a list of sentences"));
    }
    LegacyConditions conditions;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString label = QString::fromStdString(it.key());
        const Json &value = it.value();
        if (!value.is_array()) {
            return Status::invalidInput(
                    QStringLiteral("%1: condition '%2' must be a list of strings, got %3")
                            .arg(where, label, typeName(value)));
        }
        QStringList texts;
        for (size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string()) {
                return Status::invalidInput(
                        QStringLiteral("%1: condition '%2' item %3: expected a string, got %4")
                                .arg(where, label, QString::number(i),
                                     QString(typeName(value[i]) + QLatin1Char(' ') +
                                             scalarText(value[i]))
                                             .trimmed()));
            }
            texts.append(fromJson(value[i]));
        }
        conditions.append({label, texts});
    }
    return promptSetFromLegacy(conditions, sourceFile, notes);
}

std::optional<QString> readTarget(const Json &value, PromptTarget *target)
{
    if (value.is_null()) {
        return std::nullopt;
    }
    if (!value.is_object()) {
        return QStringLiteral(
                       "'target' must be {\"begin\": i, \"end\": j} or {\"regex\": "
                       "\"...\"}, got %1")
                .arg(typeName(value));
    }
    const bool hasSpan = value.contains("begin") || value.contains("end");
    const bool hasRegex = value.contains("regex");
    if (hasSpan == hasRegex) {
        return QStringLiteral("'target' must have either \"begin\" and \"end\" or \"regex\"");
    }
    if (hasRegex) {
        QString pattern;
        if (std::optional<QString> problem = readString(value, "regex", &pattern)) {
            return QStringLiteral("target: ") + *problem;
        }
        *target = PromptTarget::fromRegex(pattern);
        return std::nullopt;
    }
    int bounds[2] = {0, 0};
    const char *keys[2] = {"begin", "end"};
    for (int k = 0; k < 2; ++k) {
        const auto it = value.find(keys[k]);
        if (it == value.end() || !it->is_number_integer() ||
            it->get<qint64>() < std::numeric_limits<int>::min() ||
            it->get<qint64>() > std::numeric_limits<int>::max()) {
            return QStringLiteral("target '%1' must be an integer").arg(QLatin1String(keys[k]));
        }
        bounds[k] = static_cast<int>(it->get<qint64>());
    }
    *target = PromptTarget::fromSpan(bounds[0], bounds[1]);
    return std::nullopt;
}

std::optional<QString> readItem(const Json &value, PromptItem *item, QStringList *unknown)
{
    if (!value.is_object()) {
        return QStringLiteral("must be an object, got %1").arg(typeName(value));
    }
    const std::pair<const char *, QString *> strings[] = {
            {"id", &item->id}, {"text", &item->text}, {"pair", &item->pair}};
    for (const auto &[key, out] : strings) {
        if (std::optional<QString> problem = readString(value, key, out)) {
            return problem;
        }
    }
    if (const auto it = value.find("levels"); it != value.end() && !it->is_null()) {
        if (!it->is_object()) {
            return QStringLiteral("'levels' must be an object {factor: level}, got %1")
                    .arg(typeName(*it));
        }
        for (auto level = it->begin(); level != it->end(); ++level) {
            if (!level.value().is_string()) {
                return QStringLiteral("level of factor '%1' must be a string, got %2")
                        .arg(QString::fromStdString(level.key()), typeName(level.value()));
            }
            item->levels.insert(QString::fromStdString(level.key()), fromJson(level.value()));
        }
    }
    if (const auto it = value.find("target"); it != value.end()) {
        if (std::optional<QString> problem = readTarget(*it, &item->target)) {
            return problem;
        }
    }
    static const QSet<QString> known = {QStringLiteral("id"), QStringLiteral("text"),
                                        QStringLiteral("levels"), QStringLiteral("pair"),
                                        QStringLiteral("target")};
    for (auto it = value.begin(); it != value.end(); ++it) {
        const QString key = QString::fromStdString(it.key());
        if (!known.contains(key)) {
            unknown->append(key);
        }
    }
    return std::nullopt;
}

Result<PromptSet> gyrusFromJson(const Json &root, const QString &sourceFile,
                                QList<PromptIssue> *notes)
{
    const QString where = nameOf(sourceFile);
    const auto fail = [&](const QString &problem) {
        return Status::invalidInput(where + QStringLiteral(": ") + problem);
    };
    PromptSet set;
    set.sourceFile = sourceFile;
    set.format = PromptSet::Format::Gyrus;
    set.name = QFileInfo(sourceFile).completeBaseName();
    const std::pair<const char *, QString *> strings[] = {{"name", &set.name},
                                                          {"description", &set.description}};
    for (const auto &[key, out] : strings) {
        if (std::optional<QString> problem = readString(root, key, out)) {
            return fail(*problem);
        }
    }
    if (const auto it = root.find("factors"); it != root.end() && !it->is_null()) {
        if (!it->is_array()) {
            return fail(QStringLiteral("'factors' must be a list, got %1").arg(typeName(*it)));
        }
        for (size_t f = 0; f < it->size(); ++f) {
            const Json &value = (*it)[f];
            PromptFactor factor;
            if (!value.is_object()) {
                return fail(QStringLiteral("factor %1 must be an object {name, levels}, got %2")
                                    .arg(f)
                                    .arg(typeName(value)));
            }
            if (std::optional<QString> problem = readString(value, "name", &factor.name)) {
                return fail(QStringLiteral("factor %1: %2").arg(f).arg(*problem));
            }
            const auto levels = value.find("levels");
            if (levels == value.end()) {
                return fail(
                        QStringLiteral("factor %1 '%2' has no 'levels'").arg(f).arg(factor.name));
            }
            if (std::optional<QString> problem = readStringList(*levels, &factor.levels)) {
                return fail(QStringLiteral("factor %1 '%2': levels %3")
                                    .arg(f)
                                    .arg(factor.name, *problem));
            }
            set.factors.append(factor);
        }
    }
    const auto items = root.find("items");
    if (items == root.end() || !items->is_array()) {
        return fail(
                items == root.end()
                        ? QStringLiteral("no 'items' list")
                        : QStringLiteral("'items' must be a list, got %1").arg(typeName(*items)));
    }
    for (size_t i = 0; i < items->size(); ++i) {
        PromptItem item;
        QStringList unknown;
        if (std::optional<QString> problem = readItem((*items)[i], &item, &unknown)) {
            return fail(QStringLiteral("item %1%2: %3")
                                .arg(i)
                                .arg(item.id.isEmpty() ? QString()
                                                       : QStringLiteral(" '%1'").arg(item.id),
                                     *problem));
        }
        for (const QString &key : unknown) {
            notes->append({PromptIssue::Severity::Warning, static_cast<int>(i),
                           QStringLiteral("%1: item %2 '%3': unknown field '%4' ignored (it will "
                                          "not be saved)")
                                   .arg(where, QString::number(i), item.id, key)});
        }
        set.items.append(item);
    }
    static const QSet<QString> known = {QStringLiteral("schema"), QStringLiteral("name"),
                                        QStringLiteral("description"), QStringLiteral("factors"),
                                        QStringLiteral("items")};
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString key = QString::fromStdString(it.key());
        if (!known.contains(key)) {
            notes->append({PromptIssue::Severity::Warning, -1,
                           QStringLiteral("%1: unknown field '%2' ignored (it will not be saved)")
                                   .arg(where, key)});
        }
    }
    return set;
}

// Tells the formats apart by content (file extensions are .json for both).
Result<bool> isGyrusSchema(const Json &root, const QString &where, QList<PromptIssue> *notes)
{
    if (const auto it = root.find("schema"); it != root.end() && it->is_string()) {
        const QString schema = fromJson(*it);
        if (schema == QLatin1String(kPromptSetSchema)) {
            return true;
        }
        return Status::invalidInput(QStringLiteral("%1: unsupported schema '%2' (this version "
                                                   "reads '%3')")
                                            .arg(where, schema, QLatin1String(kPromptSetSchema)));
    }
    const auto items = root.find("items");
    if (items != root.end() && items->is_array() && !items->empty() && (*items)[0].is_object()) {
        notes->append({PromptIssue::Severity::Warning, -1,
                       QStringLiteral("%1: no \"schema\" tag; read as %2 because 'items' is a "
                                      "list of objects")
                               .arg(where, QLatin1String(kPromptSetSchema))});
        return true;
    }
    return false;
}

}  // namespace

Result<PromptSetLoad> parsePromptSet(const QByteArray &json, const QString &sourceFile)
{
    const QString where = nameOf(sourceFile);
    QStringList repeated;
    std::unordered_set<std::string> seen;
    // Catches repeated top-level keys, which ordered_json would otherwise merge silently (a
    // repeated condition would lose its first list).
    const Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event,
                                                 Json &parsed) {
        if (depth == 1 && event == Json::parse_event_t::key && parsed.is_string()) {
            const std::string &key = parsed.get_ref<const std::string &>();
            if (seen.count(key) > 0) {
                repeated.append(QString::fromStdString(key));
            }
            seen.insert(key);
        }
        return true;
    };
    if (const int depth = nestingDepth(json); depth > kMaxNesting) {
        return Status::invalidInput(
                QStringLiteral("%1: JSON nested %2 levels deep (a prompt set needs at most 4; the "
                               "limit is %3)")
                        .arg(where, QString::number(depth), QString::number(kMaxNesting)));
    }
    Json root;
    try {
        root = Json::parse(json.constData(), json.constData() + json.size(), callback);
    } catch (const Json::parse_error &e) {
        // what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
        QString detail = QString::fromUtf8(e.what());
        const qsizetype bracket = detail.indexOf(QLatin1String("] "));
        if (detail.startsWith(QLatin1Char('[')) && bracket > 0) {
            detail = detail.mid(bracket + 2);
        }
        return Status::invalidInput(QStringLiteral("%1: malformed JSON: %2").arg(where, detail));
    } catch (const Json::exception &e) {
        return Status::invalidInput(
                QStringLiteral("%1: unreadable JSON: %2").arg(where, QString::fromUtf8(e.what())));
    }
    if (!root.is_object()) {
        return Status::invalidInput(
                QStringLiteral("%1: expected a JSON object (condition -> list of sentences, or "
                               "the %2 schema), got %3")
                        .arg(where, QLatin1String(kPromptSetSchema), typeName(root)));
    }
    if (!repeated.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: key '%2' appears more than once").arg(where, repeated.first()));
    }
    PromptSetLoad load;
    const Result<bool> gyrus = isGyrusSchema(root, where, &load.issues);
    if (!gyrus) {
        return gyrus.status();
    }
    Result<PromptSet> set = gyrus.value() ? gyrusFromJson(root, sourceFile, &load.issues)
                                          : legacyFromJson(root, sourceFile, &load.issues);
    if (!set) {
        return set.status();
    }
    load.set = std::move(set).value();
    load.issues += validatePromptSet(load.set);
    return load;
}

Result<PromptSetLoad> loadPromptSet(const QString &path)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (file.size() > kMaxFileBytes) {
        return Status::invalidInput(QStringLiteral("%1: %2 bytes is too large for a prompt set")
                                            .arg(path, QString::number(file.size())));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()));
    }
    return parsePromptSet(file.readAll(), path);
}

QByteArray promptSetToJson(const PromptSet &set)
{
    Json root = Json::object();
    root["schema"] = kPromptSetSchema;
    root["name"] = toJson(set.name);
    root["description"] = toJson(set.description);
    Json factors = Json::array();
    for (const PromptFactor &factor : set.factors) {
        Json levels = Json::array();
        for (const QString &level : factor.levels) {
            levels.push_back(toJson(level));
        }
        factors.push_back(Json{{"name", toJson(factor.name)}, {"levels", std::move(levels)}});
    }
    root["factors"] = std::move(factors);
    Json items = Json::array();
    for (const PromptItem &item : set.items) {
        Json object = Json::object();
        object["id"] = toJson(item.id);
        object["text"] = toJson(item.text);
        // Factor order first (how the design reads), then any level for a factor the set does
        // not declare, so that nothing is lost.
        Json levels = Json::object();
        for (const PromptFactor &factor : set.factors) {
            if (const auto it = item.levels.constFind(factor.name); it != item.levels.cend()) {
                levels[toJson(factor.name)] = toJson(*it);
            }
        }
        for (auto it = item.levels.cbegin(); it != item.levels.cend(); ++it) {
            if (set.factorIndex(it.key()) < 0) {
                levels[toJson(it.key())] = toJson(it.value());
            }
        }
        object["levels"] = std::move(levels);
        if (!item.pair.isEmpty()) {
            object["pair"] = toJson(item.pair);
        }
        if (item.target.kind == PromptTarget::Kind::Span) {
            object["target"] =
                    Json{{"begin", item.target.span.begin}, {"end", item.target.span.end}};
        } else if (item.target.kind == PromptTarget::Kind::Regex) {
            object["target"] = Json{{"regex", toJson(item.target.regex)}};
        }
        items.push_back(std::move(object));
    }
    root["items"] = std::move(items);
    // Replace, not throw, should a QString hold a lone surrogate that toStdString() mangled.
    const std::string text = root.dump(2, ' ', false, Json::error_handler_t::replace);
    return QByteArray::fromStdString(text) + '\n';
}

Status savePromptSet(const PromptSet &set, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write: %2").arg(path, file.errorString()));
    }
    const QByteArray bytes = promptSetToJson(set);
    if (file.write(bytes) != bytes.size() || !file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write: %2").arg(path, file.errorString()));
    }
    return Status::ok();
}

}  // namespace gyrus
