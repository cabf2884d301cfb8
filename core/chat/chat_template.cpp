#include "core/chat/chat_template.h"

#include "core/jinja/jinja_template.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace gyrus {

namespace {

// Special tokens are strings or AddedToken objects {"content": ...}.
QString tokenText(const QJsonValue &value)
{
    if (value.isString()) {
        return value.toString();
    }
    return value.toObject().value(QStringLiteral("content")).toString();
}

}  // namespace

Result<ChatTemplate> ChatTemplate::fromTokenizerConfig(const QString &path)
{
    const QFileInfo info(path);
    const QString configPath =
            info.isDir() ? QDir(path).filePath(QStringLiteral("tokenizer_config.json")) : path;
    QFile file(configPath);
    if (info.isDir() && !file.exists() &&
        !QFileInfo::exists(QDir(path).filePath(QStringLiteral("chat_template.jinja")))) {
        // A base model's directory often has no tokenizer_config.json at all.
        return Status::invalidInput(
                path + QStringLiteral(": the model has no chat template (no tokenizer_config.json "
                                      "or chat_template.jinja; a base model?); choose an "
                                      "instruct model or an HTTP endpoint"));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(configPath + QStringLiteral(": cannot open (") +
                                file.errorString() + QLatin1Char(')'));
    }
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (!document.isObject()) {
        return Status::invalidInput(configPath + QStringLiteral(": not a JSON object (") +
                                    error.errorString() + QLatin1Char(')'));
    }
    const QJsonObject config = document.object();
    QString source;
    const QJsonValue value = config.value(QStringLiteral("chat_template"));
    if (value.isString()) {
        source = value.toString();
    } else if (value.isArray()) {  // named templates: the "default" one is the chat template
        for (const QJsonValue &named : value.toArray()) {
            if (named.toObject().value(QStringLiteral("name")).toString() ==
                QLatin1String("default")) {
                source = named.toObject().value(QStringLiteral("template")).toString();
            }
        }
    }
    if (source.isEmpty()) {  // newer checkpoints keep it in a file of its own
        QFile jinjaFile(
                QFileInfo(configPath).dir().filePath(QStringLiteral("chat_template.jinja")));
        if (jinjaFile.open(QIODevice::ReadOnly)) {
            source = QString::fromUtf8(jinjaFile.readAll());
        }
    }
    if (source.isEmpty()) {
        return Status::invalidInput(
                configPath +
                QStringLiteral(": the model has no chat template (a base model?); choose an "
                               "instruct model or an HTTP endpoint"));
    }
    Result<ChatTemplate> result =
            fromSource(source, tokenText(config.value(QStringLiteral("bos_token"))),
                       tokenText(config.value(QStringLiteral("eos_token"))));
    if (!result) {
        return result.status().withContext(configPath);
    }
    return result;
}

Result<ChatTemplate> ChatTemplate::fromSource(const QString &source, const QString &bosToken,
                                              const QString &eosToken)
{
    if (source.trimmed().isEmpty()) {
        return Status::invalidInput(QStringLiteral("empty chat template"));
    }
    Result<jinja::Template> parsed = jinja::Template::parse(source.toStdString());
    if (!parsed) {
        return parsed.status();
    }
    ChatTemplate t;
    t.m_template = std::make_shared<const jinja::Template>(std::move(parsed).value());
    t.m_source = source;
    t.m_bos = bosToken;
    t.m_eos = eosToken;
    return t;
}

Result<QString> ChatTemplate::render(const QList<ChatMessage> &messages,
                                     bool addGenerationPrompt) const
{
    using jinja::Value;
    jinja::ValueList list;
    for (const ChatMessage &m : messages) {
        list.push_back(Value::map({{"role", Value::string(m.role.toStdString())},
                                   {"content", Value::string(m.content.toStdString())}}));
    }
    // The variables transformers passes (tools and documents are None without tools).
    const Value context = Value::map({
            {"messages", Value::list(std::move(list))},
            {"add_generation_prompt", Value::boolean(addGenerationPrompt)},
            {"tools", Value::none()},
            {"documents", Value::none()},
            {"bos_token", Value::string(m_bos.toStdString())},
            {"eos_token", Value::string(m_eos.toStdString())},
    });
    Result<std::string> text = m_template->render(context);
    if (!text) {
        return text.status().withContext(QStringLiteral("chat template"));
    }
    return QString::fromStdString(text.value());
}

}  // namespace gyrus
