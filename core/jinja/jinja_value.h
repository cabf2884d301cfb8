#pragma once
// The values a chat template computes with: Jinja's (that is, Python's) None, bool, int, float,
// str, list and dict, plus Undefined for names and keys that do not exist. Strings are UTF-8.
// Lists and dicts are shared, so that `{% set ns.x = ... %}` changes the namespace every
// reference sees, as in Jinja.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gyrus::jinja {

/// Raised while parsing or rendering; the public API turns it into a Status.
class TemplateError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class Value;
using ValueList = std::vector<Value>;
/// Insertion-ordered, like a Python dict (tojson keeps the order).
using ValueMap = std::vector<std::pair<std::string, Value>>;

class Value
{
public:
    enum class Kind
    {
        Undefined,
        None,
        Bool,
        Int,
        Float,
        String,
        List,
        Map,
    };

    Value() = default;  // Undefined

    static Value none();
    static Value boolean(bool b);
    static Value integer(std::int64_t i);
    static Value number(double d);
    static Value string(std::string s);
    static Value list(ValueList items = {});
    static Value map(ValueMap items = {}, bool isNamespace = false);

    Kind kind() const { return m_kind; }

    bool isUndefined() const { return m_kind == Kind::Undefined; }

    bool isNone() const { return m_kind == Kind::None; }

    bool isString() const { return m_kind == Kind::String; }

    bool isList() const { return m_kind == Kind::List; }

    bool isMap() const { return m_kind == Kind::Map; }

    bool isNumber() const { return m_kind == Kind::Int || m_kind == Kind::Float; }

    bool isNamespace() const { return m_kind == Kind::Map && m_namespace; }

    bool asBool() const { return m_bool; }

    std::int64_t asInt() const { return m_int; }

    double asDouble() const { return m_kind == Kind::Int ? double(m_int) : m_double; }

    const std::string &asString() const { return m_string; }

    const ValueList &items() const { return *m_list; }

    ValueList &items() { return *m_list; }

    const ValueMap &entries() const { return *m_map; }

    ValueMap &entries() { return *m_map; }

    /// The entry for key, or Undefined.
    Value get(const std::string &key) const;
    /// Sets or adds an entry (dicts and namespaces).
    void set(const std::string &key, Value value);

    /// Python truthiness: Undefined, None, False, 0, "", [] and {} are false.
    bool truthy() const;
    /// Python ==, numbers compared by value across int and float.
    bool equals(const Value &other) const;
    /// What `{{ value }}` prints: str(value) in Python, "" for Undefined.
    std::string toOutput() const;
    /// Python repr (strings quoted), used inside printed lists and dicts.
    std::string repr() const;
    /// json.dumps(value, ensure_ascii=False, indent=indent) as transformers' tojson filter does;
    /// indent < 0 means one line with ", " and ": " separators.
    std::string toJson(int indent = -1) const;
    /// "string", "list", ...: for error messages.
    std::string typeName() const;

private:
    Kind m_kind = Kind::Undefined;
    bool m_bool = false;
    bool m_namespace = false;
    std::int64_t m_int = 0;
    double m_double = 0;
    std::string m_string;
    std::shared_ptr<ValueList> m_list;
    std::shared_ptr<ValueMap> m_map;
};

}  // namespace gyrus::jinja
