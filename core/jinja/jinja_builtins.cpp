#include "core/jinja/jinja_builtins.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>

namespace gyrus::jinja {

namespace {

[[noreturn]] void fail(const std::string &what)
{
    throw TemplateError(what);
}

const char *const kWhitespace = " \t\n\r\v\f";

std::string lowerText(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

std::string upperText(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return char(std::toupper(c)); });
    return s;
}

Value splitText(const std::string &text, const Value &separator, std::int64_t maxSplit)
{
    ValueList parts;
    if (separator.isUndefined() || separator.isNone()) {  // runs of whitespace, no empties
        std::size_t pos = text.find_first_not_of(kWhitespace);
        while (pos != std::string::npos) {
            std::size_t end = text.find_first_of(kWhitespace, pos);
            if (maxSplit >= 0 && std::int64_t(parts.size()) == maxSplit) {
                end = text.find_last_not_of(kWhitespace) + 1;
            }
            parts.push_back(Value::string(text.substr(pos, end - pos)));
            pos = end == std::string::npos ? end : text.find_first_not_of(kWhitespace, end);
        }
        return Value::list(std::move(parts));
    }
    const std::string &sep = separator.asString();
    if (sep.empty()) {
        fail("split(): empty separator");
    }
    std::size_t pos = 0;
    while (true) {
        const std::size_t found = text.find(sep, pos);
        if (found == std::string::npos ||
            (maxSplit >= 0 && std::int64_t(parts.size()) == maxSplit)) {
            parts.push_back(Value::string(text.substr(pos)));
            break;
        }
        parts.push_back(Value::string(text.substr(pos, found - pos)));
        pos = found + sep.size();
    }
    return Value::list(std::move(parts));
}

bool affix(const std::string &text, const Value &candidates, bool prefix)
{
    const auto one = [&](const Value &v) {
        if (!v.isString()) {
            fail(std::string(prefix ? "startswith" : "endswith") + "(): expects a string");
        }
        const std::string &a = v.asString();
        return a.size() <= text.size() &&
               (prefix ? text.compare(0, a.size(), a) == 0
                       : text.compare(text.size() - a.size(), a.size(), a) == 0);
    };
    if (candidates.isList()) {
        return std::any_of(candidates.items().begin(), candidates.items().end(), one);
    }
    return one(candidates);
}

std::int64_t lengthOf(const Value &v)
{
    switch (v.kind()) {
        case Value::Kind::String:
            return std::int64_t(codePoints(v.asString()).size());
        case Value::Kind::List:
            return std::int64_t(v.items().size());
        case Value::Kind::Map:
            return std::int64_t(v.entries().size());
        case Value::Kind::Undefined:
            return 0;
        default:
            fail("object of type '" + v.typeName() + "' has no length");
    }
}

ValueList iterate(const Value &v)
{
    switch (v.kind()) {
        case Value::Kind::List:
            return v.items();
        case Value::Kind::Map: {
            ValueList keys;
            for (const auto &entry : v.entries()) {
                keys.push_back(Value::string(entry.first));
            }
            return keys;
        }
        case Value::Kind::String: {
            ValueList chars;
            for (std::string &c : codePoints(v.asString())) {
                chars.push_back(Value::string(std::move(c)));
            }
            return chars;
        }
        case Value::Kind::Undefined:
            return {};
        default:
            fail("'" + v.typeName() + "' object is not iterable");
    }
}

Value itemsOf(const Value &v)
{
    if (!v.isMap()) {
        fail("items(): expects a dict, got " + v.typeName());
    }
    ValueList pairs;
    for (const auto &[k, item] : v.entries()) {
        pairs.push_back(Value::list({Value::string(k), item}));
    }
    return Value::list(std::move(pairs));
}

std::string expectString(const Value &v, const std::string &what)
{
    if (!v.isString()) {
        fail(what + ": expects a string, got " + v.typeName());
    }
    return v.asString();
}

}  // namespace

Value Arguments::at(std::size_t index, const char *name, Value fallback) const
{
    if (index < positional.size()) {
        return positional[index];
    }
    for (const auto &[k, v] : keyword) {
        if (k == name) {
            return v;
        }
    }
    return fallback;
}

std::vector<std::string> codePoints(const std::string &text)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3 : 4;
        n = std::min(n, text.size() - i);
        out.push_back(text.substr(i, n));
        i += n;
    }
    return out;
}

std::string stripText(const std::string &text, const Value &chars, char which)
{
    const std::string set = chars.isString() ? chars.asString() : std::string(kWhitespace);
    std::size_t begin = 0;
    std::size_t end = text.size();
    if (which != 'r') {
        begin = text.find_first_not_of(set);
        if (begin == std::string::npos) {
            return {};
        }
    }
    if (which != 'l') {
        const std::size_t last = text.find_last_not_of(set);
        end = last == std::string::npos ? begin : last + 1;
    }
    return end > begin ? text.substr(begin, end - begin) : std::string();
}

Value indexValue(const Value &container, std::int64_t index)
{
    if (container.isList()) {
        const auto n = std::int64_t(container.items().size());
        const std::int64_t i = index < 0 ? index + n : index;
        return i >= 0 && i < n ? container.items()[std::size_t(i)] : Value();
    }
    if (container.isString()) {
        const std::vector<std::string> chars = codePoints(container.asString());
        const auto n = std::int64_t(chars.size());
        const std::int64_t i = index < 0 ? index + n : index;
        return i >= 0 && i < n ? Value::string(chars[std::size_t(i)]) : Value();
    }
    return {};
}

Value sliceValue(const Value &container, const Value &start, const Value &stop, const Value &step)
{
    ValueList items;
    std::vector<std::string> chars;
    std::int64_t n = 0;
    if (container.isList()) {
        items = container.items();
        n = std::int64_t(items.size());
    } else if (container.isString()) {
        chars = codePoints(container.asString());
        n = std::int64_t(chars.size());
    } else {
        fail("cannot slice a " + container.typeName());
    }
    const std::int64_t s = step.isNumber() ? step.asInt() : 1;
    if (s == 0) {
        fail("slice step cannot be zero");
    }
    // Python's PySlice_AdjustIndices.
    const auto adjust = [&](const Value &v, std::int64_t fallback) {
        if (!v.isNumber()) {
            return fallback;
        }
        std::int64_t i = v.asInt();
        if (i < 0) {
            i += n;
            if (i < 0) {
                i = s < 0 ? -1 : 0;
            }
        } else if (i >= n) {
            i = s < 0 ? n - 1 : n;
        }
        return i;
    };
    const std::int64_t from = adjust(start, s < 0 ? n - 1 : 0);
    const std::int64_t to = adjust(stop, s < 0 ? -1 : n);
    ValueList outItems;
    std::string outText;
    for (std::int64_t i = from; s > 0 ? i < to : i > to; i += s) {
        if (container.isList()) {
            outItems.push_back(items[std::size_t(i)]);
        } else {
            outText += chars[std::size_t(i)];
        }
    }
    return container.isList() ? Value::list(std::move(outItems)) : Value::string(outText);
}

Value applyFilter(const std::string &name, const Value &input, const Arguments &args)
{
    if (name == "trim") {
        return Value::string(stripText(input.toOutput(), args.at(0, "chars"), 'b'));
    }
    if (name == "length" || name == "count") {
        return Value::integer(lengthOf(input));
    }
    if (name == "tojson") {
        const Value indent = args.at(0, "indent");
        return Value::string(input.toJson(indent.isNumber() ? int(indent.asInt()) : -1));
    }
    if (name == "string") {
        return Value::string(input.toOutput());
    }
    if (name == "lower") {
        return Value::string(lowerText(expectString(input, "lower")));
    }
    if (name == "upper") {
        return Value::string(upperText(expectString(input, "upper")));
    }
    if (name == "safe" || name == "e" || name == "escape") {
        return input;  // chat templates render text, not HTML: nothing to escape
    }
    if (name == "first" || name == "last") {
        const ValueList items = iterate(input);
        return items.empty() ? Value() : (name == "first" ? items.front() : items.back());
    }
    if (name == "join") {
        const Value sep = args.at(0, "d", Value::string(""));
        std::string out;
        bool first = true;
        for (const Value &item : iterate(input)) {
            out += (first ? "" : sep.toOutput()) + item.toOutput();
            first = false;
        }
        return Value::string(out);
    }
    if (name == "default" || name == "d") {
        const bool boolean = args.at(1, "boolean", Value::boolean(false)).truthy();
        if (input.isUndefined() || (boolean && !input.truthy())) {
            return args.at(0, "default_value", Value::string(""));
        }
        return input;
    }
    if (name == "list") {
        return Value::list(iterate(input));
    }
    if (name == "reverse") {
        if (input.isString()) {
            return sliceValue(input, {}, {}, Value::integer(-1));
        }
        ValueList items = iterate(input);
        std::reverse(items.begin(), items.end());
        return Value::list(std::move(items));
    }
    if (name == "items") {
        return itemsOf(input);
    }
    if (name == "int") {
        if (input.isNumber()) {
            return Value::integer(std::int64_t(input.asDouble()));
        }
        if (input.isString()) {
            try {
                return Value::integer(std::stoll(input.asString()));
            } catch (const std::exception &) {
            }
        }
        return args.at(0, "default", Value::integer(0));
    }
    if (name == "capitalize") {
        std::string s = lowerText(expectString(input, "capitalize"));
        if (!s.empty()) {
            s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
        }
        return Value::string(s);
    }
    if (name == "replace") {
        return callMethod(input, "replace", args);
    }
    fail("unsupported filter '" + name + "'");
}

bool applyTest(const std::string &name, const Value &input, const Arguments &args)
{
    using K = Value::Kind;
    if (name == "defined") {
        return !input.isUndefined();
    }
    if (name == "undefined") {
        return input.isUndefined();
    }
    if (name == "none") {
        return input.isNone();
    }
    if (name == "string") {
        return input.isString();
    }
    if (name == "number") {
        return input.isNumber();
    }
    if (name == "integer") {
        return input.kind() == K::Int;
    }
    if (name == "float") {
        return input.kind() == K::Float;
    }
    if (name == "boolean") {
        return input.kind() == K::Bool;
    }
    if (name == "true") {
        return input.kind() == K::Bool && input.asBool();
    }
    if (name == "false") {
        return input.kind() == K::Bool && !input.asBool();
    }
    if (name == "mapping") {
        return input.isMap();
    }
    if (name == "iterable") {
        return input.isList() || input.isMap() || input.isString();
    }
    if (name == "sequence") {
        return input.isList() || input.isMap() || input.isString();
    }
    if (name == "even" || name == "odd") {
        if (input.kind() != K::Int) {
            fail("test '" + name + "' expects an integer");
        }
        return (input.asInt() % 2 == 0) == (name == "even");
    }
    if (name == "divisibleby") {
        const Value d = args.at(0, "num");
        return d.isNumber() && d.asInt() != 0 && input.asInt() % d.asInt() == 0;
    }
    if (name == "eq" || name == "equalto" || name == "==" || name == "sameas") {
        return input.equals(args.at(0, "other"));
    }
    if (name == "ne" || name == "!=") {
        return !input.equals(args.at(0, "other"));
    }
    fail("unsupported test '" + name + "'");
}

Value callMethod(const Value &object, const std::string &name, const Arguments &args)
{
    if (object.isString()) {
        const std::string &s = object.asString();
        if (name == "startswith" || name == "endswith") {
            return Value::boolean(affix(s, args.at(0, "prefix"), name == "startswith"));
        }
        if (name == "split") {
            const Value maxSplit = args.at(1, "maxsplit", Value::integer(-1));
            return splitText(s, args.at(0, "sep"), maxSplit.asInt());
        }
        if (name == "strip" || name == "lstrip" || name == "rstrip") {
            return Value::string(stripText(s, args.at(0, "chars"), name[0] == 's' ? 'b' : name[0]));
        }
        if (name == "lower") {
            return Value::string(lowerText(s));
        }
        if (name == "upper") {
            return Value::string(upperText(s));
        }
        if (name == "replace") {
            const std::string from = expectString(args.at(0, "old"), "replace");
            const std::string to = expectString(args.at(1, "new"), "replace");
            if (from.empty()) {
                return object;
            }
            std::string out;
            std::size_t pos = 0;
            for (std::size_t found; (found = s.find(from, pos)) != std::string::npos;
                 pos = found + from.size()) {
                out += s.substr(pos, found - pos) + to;
            }
            return Value::string(out + s.substr(pos));
        }
    }
    if (object.isMap() && !object.isNamespace()) {
        if (name == "items") {
            return itemsOf(object);
        }
        if (name == "keys" || name == "values") {
            ValueList out;
            for (const auto &[k, v] : object.entries()) {
                out.push_back(name == "keys" ? Value::string(k) : v);
            }
            return Value::list(std::move(out));
        }
        if (name == "get") {
            const Value found = object.get(expectString(args.at(0, "key"), "get"));
            return found.isUndefined() ? args.at(1, "default", Value::none()) : found;
        }
    }
    fail("'" + object.typeName() + "' has no method '" + name + "'");
}

Value callFunction(const std::string &name, const Arguments &args)
{
    if (name == "raise_exception") {
        fail(args.at(0, "message").toOutput());
    }
    if (name == "namespace" || name == "dict") {
        ValueMap entries;
        if (!args.positional.empty() && args.positional[0].isMap()) {
            entries = args.positional[0].entries();
        }
        for (const auto &[k, v] : args.keyword) {
            entries.emplace_back(k, v);
        }
        return Value::map(std::move(entries), name == "namespace");
    }
    if (name == "range") {
        std::int64_t start = 0;
        std::int64_t stop = 0;
        const std::int64_t step = args.positional.size() > 2 ? args.positional[2].asInt() : 1;
        if (args.positional.size() == 1) {
            stop = args.positional[0].asInt();
        } else if (args.positional.size() >= 2) {
            start = args.positional[0].asInt();
            stop = args.positional[1].asInt();
        }
        if (step == 0) {
            fail("range() step cannot be zero");
        }
        ValueList out;
        for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.push_back(Value::integer(i));
        }
        return Value::list(std::move(out));
    }
    if (name == "strftime_now") {
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char buffer[256];
        const std::string format = expectString(args.at(0, "format"), "strftime_now");
        // The format comes from the model's template (for a date in the system prompt).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        const std::size_t n = std::strftime(buffer, sizeof buffer, format.c_str(), &local);
#pragma GCC diagnostic pop
        return Value::string(std::string(buffer, n));
    }
    fail("'" + name + "' is undefined or not callable");
}

}  // namespace gyrus::jinja
