#pragma once
// Private to gpu/model: reads the fields of a Hugging Face config object, remembering the first
// problem with the field's name so that a bad config gets one message naming the field.

#include "core/base/status.h"

#include <QString>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace gyrus::gpu::config_fields {

using Json = nlohmann::json;

inline QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

// Reads the fields of one config object, remembering the first problem with the field's name.
class FieldReader
{
public:
    FieldReader(const Json &object, QString source)
        : m_object(object)
        , m_source(std::move(source))
    {}

    bool has(const char *field) const
    {
        const auto it = m_object.find(field);
        return it != m_object.end() && !it->is_null();
    }

    // A positive integer; `required` fields must be present.
    int positiveInt(const char *field, bool required, int fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            if (required) {
                setError(QStringLiteral("missing required field \"%1\"").arg(QLatin1String(field)));
            }
            return fallback;
        }
        if (!it->is_number_integer() || it->get<qint64>() <= 0 ||
            it->get<qint64>() > std::numeric_limits<int>::max()) {
            setError(QStringLiteral("field \"%1\" must be a positive integer, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return int(it->get<qint64>());
    }

    // A token id: an integer >= 0, null (the model has none: -1), or a list (first element; newer
    // configs list several end-of-sequence ids).
    int tokenId(const char *field, int fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end()) {
            return fallback;
        }
        if (it->is_null()) {
            return -1;
        }
        const Json &value = it->is_array() && !it->empty() ? (*it)[0] : *it;
        if (!value.is_number_integer() || value.get<qint64>() < 0 ||
            value.get<qint64>() > std::numeric_limits<int>::max()) {
            setError(QStringLiteral("field \"%1\" must be a non-negative integer token id, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return int(value.get<qint64>());
    }

    double positiveNumber(const char *field, double fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_number() || !(it->get<double>() > 0.0) || !std::isfinite(it->get<double>())) {
            setError(QStringLiteral("field \"%1\" must be a positive number, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return it->get<double>();
    }

    bool boolean(const char *field, bool fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_boolean()) {
            setError(QStringLiteral("field \"%1\" must be true or false, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return it->get<bool>();
    }

    QString string(const char *field, const QString &fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_string()) {
            setError(QStringLiteral("field \"%1\" must be a string, got %2")
                             .arg(QLatin1String(field), q(it->dump())));
            return fallback;
        }
        return q(it->get<std::string>());
    }

    /// A soft-cap: absent -> `fallback`, null -> 0 (off), else a positive number.
    double optionalCap(const char *field, double fallback)
    {
        const auto it = m_object.find(field);
        if (it == m_object.end()) {
            return fallback;
        }
        if (it->is_null()) {
            return 0.0;
        }
        return positiveNumber(field, fallback);
    }

    /// A number in (0, 1].
    double fraction(const char *field, double fallback)
    {
        const double value = positiveNumber(field, fallback);
        if (value > 1.0) {
            setError(QStringLiteral("field \"%1\" must be in (0, 1], got %2")
                             .arg(QLatin1String(field))
                             .arg(value));
            return fallback;
        }
        return value;
    }

    /// A list of strings; empty when absent or null.
    std::vector<QString> stringList(const char *field)
    {
        std::vector<QString> list;
        const auto it = m_object.find(field);
        if (it == m_object.end() || it->is_null()) {
            return list;
        }
        if (!it->is_array()) {
            setError(QStringLiteral("field \"%1\" must be a list of strings")
                             .arg(QLatin1String(field)));
            return list;
        }
        for (const Json &item : *it) {
            if (!item.is_string()) {
                setError(QStringLiteral("field \"%1\" must be a list of strings, got %2")
                                 .arg(QLatin1String(field), q(item.dump())));
                return {};
            }
            list.push_back(q(item.get<std::string>()));
        }
        return list;
    }

    void setError(const QString &message)
    {
        if (m_error.isEmpty()) {
            m_error = message;
        }
    }

    Status status() const
    {
        return m_error.isEmpty()
                       ? Status::ok()
                       : Status::invalidInput(QStringLiteral("%1: %2").arg(m_source, m_error));
    }

private:
    const Json &m_object;
    QString m_source;
    QString m_error;
};

}  // namespace gyrus::gpu::config_fields
