#include "core/jinja/jinja_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace gyrus::jinja {

Value Value::none()
{
    Value v;
    v.m_kind = Kind::None;
    return v;
}

Value Value::boolean(bool b)
{
    Value v;
    v.m_kind = Kind::Bool;
    v.m_bool = b;
    return v;
}

Value Value::integer(std::int64_t i)
{
    Value v;
    v.m_kind = Kind::Int;
    v.m_int = i;
    return v;
}

Value Value::number(double d)
{
    Value v;
    v.m_kind = Kind::Float;
    v.m_double = d;
    return v;
}

Value Value::string(std::string s)
{
    Value v;
    v.m_kind = Kind::String;
    v.m_string = std::move(s);
    return v;
}

Value Value::list(ValueList items)
{
    Value v;
    v.m_kind = Kind::List;
    v.m_list = std::make_shared<ValueList>(std::move(items));
    return v;
}

Value Value::map(ValueMap items, bool isNamespace)
{
    Value v;
    v.m_kind = Kind::Map;
    v.m_namespace = isNamespace;
    v.m_map = std::make_shared<ValueMap>(std::move(items));
    return v;
}

Value Value::get(const std::string &key) const
{
    if (m_kind != Kind::Map) {
        return {};
    }
    for (const auto &[k, v] : *m_map) {
        if (k == key) {
            return v;
        }
    }
    return {};
}

void Value::set(const std::string &key, Value value)
{
    for (auto &[k, v] : *m_map) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    m_map->emplace_back(key, std::move(value));
}

bool Value::truthy() const
{
    switch (m_kind) {
        case Kind::Undefined:
        case Kind::None:
            return false;
        case Kind::Bool:
            return m_bool;
        case Kind::Int:
            return m_int != 0;
        case Kind::Float:
            return m_double != 0;
        case Kind::String:
            return !m_string.empty();
        case Kind::List:
            return !m_list->empty();
        case Kind::Map:
            return m_namespace || !m_map->empty();
    }
    return false;
}

bool Value::equals(const Value &other) const
{
    if (isNumber() && other.isNumber()) {
        if (m_kind == Kind::Int && other.m_kind == Kind::Int) {
            return m_int == other.m_int;
        }
        return asDouble() == other.asDouble();
    }
    // Python: True == 1; keep that for bool against int.
    if (m_kind == Kind::Bool && other.isNumber()) {
        return double(m_bool) == other.asDouble();
    }
    if (isNumber() && other.m_kind == Kind::Bool) {
        return other.equals(*this);
    }
    if (m_kind != other.m_kind) {
        return false;
    }
    switch (m_kind) {
        case Kind::Undefined:
        case Kind::None:
            return true;
        case Kind::Bool:
            return m_bool == other.m_bool;
        case Kind::String:
            return m_string == other.m_string;
        case Kind::List:
            if (m_list->size() != other.m_list->size()) {
                return false;
            }
            for (std::size_t i = 0; i < m_list->size(); ++i) {
                if (!(*m_list)[i].equals((*other.m_list)[i])) {
                    return false;
                }
            }
            return true;
        case Kind::Map:
            if (m_map->size() != other.m_map->size()) {
                return false;
            }
            for (const auto &[k, v] : *m_map) {
                if (!v.equals(other.get(k))) {
                    return false;
                }
            }
            return true;
        default:
            return false;
    }
}

namespace {

// Python's repr(float): the shortest digits that round-trip, ".0" on integral values.
std::string floatText(double d)
{
    if (std::isnan(d)) {
        return "nan";
    }
    if (std::isinf(d)) {
        return d > 0 ? "inf" : "-inf";
    }
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".e") == std::string::npos) {
        text += ".0";
    }
    return text;
}

std::string pythonRepr(const std::string &s)
{
    const bool hasSingle = s.find('\'') != std::string::npos;
    const bool hasDouble = s.find('"') != std::string::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, quote);
    for (const char c : s) {
        if (c == quote || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
            out += hex;
        } else {
            out += c;
        }
    }
    out += quote;
    return out;
}

std::string jsonString(const std::string &s)
{
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(c));
                    out += hex;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

void appendJson(const Value &v, int indent, int depth, std::string &out)
{
    const auto newline = [&](int level) {
        out += '\n';
        out.append(std::size_t(indent * level), ' ');
    };
    switch (v.kind()) {
        case Value::Kind::Undefined:
        case Value::Kind::None:
            out += "null";
            return;
        case Value::Kind::Bool:
            out += v.asBool() ? "true" : "false";
            return;
        case Value::Kind::Int:
            out += std::to_string(v.asInt());
            return;
        case Value::Kind::Float:
            out += std::isfinite(v.asDouble()) ? floatText(v.asDouble())
                                               : (std::isnan(v.asDouble()) ? "NaN" : "Infinity");
            return;
        case Value::Kind::String:
            out += jsonString(v.asString());
            return;
        case Value::Kind::List: {
            if (v.items().empty()) {
                out += "[]";
                return;
            }
            out += '[';
            bool first = true;
            for (const Value &item : v.items()) {
                if (!first) {
                    out += indent < 0 ? ", " : ",";
                }
                first = false;
                if (indent >= 0) {
                    newline(depth + 1);
                }
                appendJson(item, indent, depth + 1, out);
            }
            if (indent >= 0) {
                newline(depth);
            }
            out += ']';
            return;
        }
        case Value::Kind::Map: {
            if (v.entries().empty()) {
                out += "{}";
                return;
            }
            out += '{';
            bool first = true;
            for (const auto &[key, item] : v.entries()) {
                if (!first) {
                    out += indent < 0 ? ", " : ",";
                }
                first = false;
                if (indent >= 0) {
                    newline(depth + 1);
                }
                out += jsonString(key);
                out += ": ";
                appendJson(item, indent, depth + 1, out);
            }
            if (indent >= 0) {
                newline(depth);
            }
            out += '}';
            return;
        }
    }
}

}  // namespace

std::string Value::toOutput() const
{
    switch (m_kind) {
        case Kind::Undefined:
            return {};
        case Kind::String:
            return m_string;
        default:
            return repr();
    }
}

std::string Value::repr() const
{
    switch (m_kind) {
        case Kind::Undefined:
            return {};
        case Kind::None:
            return "None";
        case Kind::Bool:
            return m_bool ? "True" : "False";
        case Kind::Int:
            return std::to_string(m_int);
        case Kind::Float:
            return floatText(m_double);
        case Kind::String:
            return pythonRepr(m_string);
        case Kind::List: {
            std::string out = "[";
            for (std::size_t i = 0; i < m_list->size(); ++i) {
                out += (i ? ", " : "") + (*m_list)[i].repr();
            }
            return out + "]";
        }
        case Kind::Map: {
            std::string out = m_namespace ? "<Namespace {" : "{";
            bool first = true;
            for (const auto &[k, v] : *m_map) {
                out += (first ? "" : ", ") + pythonRepr(k) + ": " + v.repr();
                first = false;
            }
            return out + (m_namespace ? "}>" : "}");
        }
    }
    return {};
}

std::string Value::toJson(int indent) const
{
    std::string out;
    appendJson(*this, indent, 0, out);
    return out;
}

std::string Value::typeName() const
{
    switch (m_kind) {
        case Kind::Undefined:
            return "undefined";
        case Kind::None:
            return "none";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "string";
        case Kind::List:
            return "list";
        case Kind::Map:
            return m_namespace ? "namespace" : "dict";
    }
    return "?";
}

}  // namespace gyrus::jinja
