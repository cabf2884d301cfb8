#include "core/jinja/jinja_template.h"

#include "core/jinja/jinja_ast.h"
#include "core/jinja/jinja_render.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::jinja {

Result<Template> Template::parse(const std::string &source)
{
    try {
        Template t;
        t.m_nodes = std::make_shared<const NodeList>(parseTemplate(source));
        return t;
    } catch (const TemplateError &error) {
        return Status::invalidInput(QStringLiteral("template syntax: ") +
                                    QString::fromStdString(error.what()));
    }
}

Result<std::string> Template::render(const Value &context) const
{
    try {
        return renderNodes(*m_nodes, context);
    } catch (const TemplateError &error) {
        return Status::invalidInput(QString::fromStdString(error.what()));
    }
}

Value fromJson(const QJsonValue &json)
{
    switch (json.type()) {
        case QJsonValue::Null:
            return Value::none();
        case QJsonValue::Bool:
            return Value::boolean(json.toBool());
        case QJsonValue::Double: {
            const double d = json.toDouble();
            if (d == double(qint64(d)) && std::abs(d) < 9.0e15) {
                return Value::integer(qint64(d));
            }
            return Value::number(d);
        }
        case QJsonValue::String:
            return Value::string(json.toString().toStdString());
        case QJsonValue::Array: {
            ValueList items;
            for (const QJsonValue &item : json.toArray()) {
                items.push_back(fromJson(item));
            }
            return Value::list(std::move(items));
        }
        case QJsonValue::Object: {
            // QJsonObject sorts its keys; conversations built in code use role/content order
            // anyway, and tojson on tools is the only place where order shows.
            ValueMap entries;
            const QJsonObject object = json.toObject();
            for (auto it = object.begin(); it != object.end(); ++it) {
                entries.emplace_back(it.key().toStdString(), fromJson(it.value()));
            }
            return Value::map(std::move(entries));
        }
        case QJsonValue::Undefined:
            break;
    }
    return {};
}

}  // namespace gyrus::jinja
