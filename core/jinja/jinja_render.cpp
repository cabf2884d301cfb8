#include "core/jinja/jinja_render.h"

#include "core/jinja/jinja_builtins.h"

#include <cmath>

namespace gyrus::jinja {

namespace {

enum class Flow
{
    Normal,
    Break,
    Continue,
};

class Renderer
{
public:
    explicit Renderer(const Value &context)
    {
        m_scopes.push_back(context.isMap() ? context.entries() : ValueMap{});
    }

    Flow renderList(const NodeList &nodes, std::string &out)
    {
        for (const NodePtr &node : nodes) {
            const Flow flow = render(*node, out);
            if (flow != Flow::Normal) {
                return flow;
            }
        }
        return Flow::Normal;
    }

private:
    [[noreturn]] static void fail(int line, const std::string &what)
    {
        throw TemplateError("line " + std::to_string(line) + ": " + what);
    }

    Value lookup(const std::string &name) const
    {
        for (auto scope = m_scopes.rbegin(); scope != m_scopes.rend(); ++scope) {
            for (const auto &[k, v] : *scope) {
                if (k == name) {
                    return v;
                }
            }
        }
        return {};
    }

    void assign(const std::string &name, Value value)
    {
        for (auto &[k, v] : m_scopes.back()) {
            if (k == name) {
                v = std::move(value);
                return;
            }
        }
        m_scopes.back().emplace_back(name, std::move(value));
    }

    Flow render(const Node &node, std::string &out)
    {
        try {
            return renderUnchecked(node, out);
        } catch (const TemplateError &error) {
            const std::string what = error.what();
            if (what.rfind("line ", 0) == 0) {
                throw;
            }
            fail(node.line, what);
        }
    }

    Flow renderUnchecked(const Node &node, std::string &out)
    {
        switch (node.kind) {
            case Node::Kind::Text:
                out += node.text;
                return Flow::Normal;
            case Node::Kind::Output:
                out += eval(*node.expr).toOutput();
                return Flow::Normal;
            case Node::Kind::If:
                for (const auto &[condition, body] : node.branches) {
                    if (eval(*condition).truthy()) {
                        return renderList(body, out);
                    }
                }
                return renderList(node.elseBody, out);
            case Node::Kind::For:
                return renderFor(node, out);
            case Node::Kind::Set: {
                Value value;
                if (node.expr) {
                    value = eval(*node.expr);
                } else {
                    std::string captured;
                    renderList(node.body, captured);
                    value = Value::string(captured);
                }
                if (!node.attribute.empty()) {
                    Value target = lookup(node.targets[0]);
                    if (!target.isNamespace()) {
                        fail(node.line, "cannot assign attribute on non-namespace object '" +
                                                node.targets[0] + "'");
                    }
                    target.set(node.attribute, value);
                } else if (node.targets.size() == 1) {
                    assign(node.targets[0], value);
                } else {
                    unpack(node.targets, value, node.line);
                }
                return Flow::Normal;
            }
            case Node::Kind::Break:
                return Flow::Break;
            case Node::Kind::Continue:
                return Flow::Continue;
            case Node::Kind::Generation:
                return renderList(node.body, out);
        }
        return Flow::Normal;
    }

    void unpack(const std::vector<std::string> &targets, const Value &value, int line)
    {
        if (!value.isList() || value.items().size() != targets.size()) {
            fail(line, "cannot unpack " + value.typeName() + " into " +
                               std::to_string(targets.size()) + " names");
        }
        for (std::size_t i = 0; i < targets.size(); ++i) {
            assign(targets[i], value.items()[i]);
        }
    }

    Flow renderFor(const Node &node, std::string &out)
    {
        const Value iterable = eval(*node.expr);
        ValueList items;
        if (iterable.isList()) {
            items = iterable.items();
        } else if (iterable.isMap()) {
            for (const auto &entry : iterable.entries()) {
                items.push_back(Value::string(entry.first));
            }
        } else if (iterable.isString()) {
            for (std::string &c : codePoints(iterable.asString())) {
                items.push_back(Value::string(std::move(c)));
            }
        } else if (!iterable.isUndefined()) {
            fail(node.line, "'" + iterable.typeName() + "' object is not iterable");
        }
        // Like jinja2, each iteration starts from a fresh scope: a {% set %} in one iteration is
        // gone in the next and never leaks out of the loop.
        if (!node.branches.empty()) {  // for x in xs if condition
            ValueList kept;
            for (const Value &item : items) {
                m_scopes.emplace_back();
                bind(node, item);
                const bool keep = eval(*node.branches[0].first).truthy();
                m_scopes.pop_back();
                if (keep) {
                    kept.push_back(item);
                }
            }
            items = std::move(kept);
        }
        const auto n = std::int64_t(items.size());
        for (std::int64_t i = 0; i < n; ++i) {
            m_scopes.emplace_back();
            bind(node, items[std::size_t(i)]);
            ValueMap loop = {
                    {"index0", Value::integer(i)},
                    {"index", Value::integer(i + 1)},
                    {"revindex0", Value::integer(n - i - 1)},
                    {"revindex", Value::integer(n - i)},
                    {"first", Value::boolean(i == 0)},
                    {"last", Value::boolean(i == n - 1)},
                    {"length", Value::integer(n)},
                    {"previtem", i > 0 ? items[std::size_t(i - 1)] : Value()},
                    {"nextitem", i + 1 < n ? items[std::size_t(i + 1)] : Value()},
            };
            assign("loop", Value::map(std::move(loop)));
            const Flow flow = renderList(node.body, out);
            m_scopes.pop_back();
            if (flow == Flow::Break) {
                break;
            }
        }
        if (n == 0) {
            return renderList(node.elseBody, out);
        }
        return Flow::Normal;
    }

    void bind(const Node &node, const Value &item)
    {
        if (node.targets.size() == 1) {
            assign(node.targets[0], item);
        } else {
            unpack(node.targets, item, node.line);
        }
    }

    Arguments arguments(const Expr &e, std::size_t first)
    {
        Arguments args;
        const std::size_t keywordStart = e.args.size() - e.keywords.size();
        for (std::size_t i = first; i < e.args.size(); ++i) {
            Value v = eval(*e.args[i]);
            if (i >= keywordStart) {
                args.keyword.emplace_back(e.keywords[i - keywordStart], std::move(v));
            } else {
                args.positional.push_back(std::move(v));
            }
        }
        return args;
    }

    Value eval(const Expr &e)
    {
        switch (e.kind) {
            case Expr::Kind::Literal:
                return e.value;
            case Expr::Kind::Name:
                return lookup(e.name);
            case Expr::Kind::ListLiteral: {
                ValueList items;
                for (const ExprPtr &item : e.args) {
                    items.push_back(eval(*item));
                }
                return Value::list(std::move(items));
            }
            case Expr::Kind::MapLiteral: {
                ValueMap entries;
                for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
                    const Value key = eval(*e.args[i]);
                    if (!key.isString()) {
                        throw TemplateError("dict keys must be strings");
                    }
                    entries.emplace_back(key.asString(), eval(*e.args[i + 1]));
                }
                return Value::map(std::move(entries));
            }
            case Expr::Kind::Attribute: {
                const Value object = eval(*e.args[0]);
                if (object.isUndefined()) {
                    throw TemplateError(describe(*e.args[0]) + " is undefined");
                }
                return object.get(e.name);
            }
            case Expr::Kind::Subscript: {
                const Value object = eval(*e.args[0]);
                const Value key = eval(*e.args[1]);
                if (object.isUndefined()) {
                    throw TemplateError(describe(*e.args[0]) + " is undefined");
                }
                if (object.isMap()) {
                    return key.isString() ? object.get(key.asString()) : Value();
                }
                if (key.kind() == Value::Kind::Int) {
                    return indexValue(object, key.asInt());
                }
                return {};
            }
            case Expr::Kind::Slice:
                return sliceValue(eval(*e.args[0]), e.args[1] ? eval(*e.args[1]) : Value(),
                                  e.args[2] ? eval(*e.args[2]) : Value(),
                                  e.args[3] ? eval(*e.args[3]) : Value());
            case Expr::Kind::Call: {
                const Expr &callee = *e.args[0];
                if (callee.kind == Expr::Kind::Attribute) {
                    const Value object = eval(*callee.args[0]);
                    if (object.isUndefined()) {
                        throw TemplateError(describe(*callee.args[0]) + " is undefined");
                    }
                    return callMethod(object, callee.name, arguments(e, 1));
                }
                if (callee.kind == Expr::Kind::Name) {
                    return callFunction(callee.name, arguments(e, 1));
                }
                throw TemplateError("this expression cannot be called");
            }
            case Expr::Kind::Filter:
                return applyFilter(e.name, eval(*e.args[0]), arguments(e, 1));
            case Expr::Kind::Test:
                return Value::boolean(applyTest(e.name, eval(*e.args[0]), arguments(e, 1)) !=
                                      e.negated);
            case Expr::Kind::Unary: {
                const Value v = eval(*e.args[0]);
                if (e.name == "not") {
                    return Value::boolean(!v.truthy());
                }
                if (!v.isNumber()) {
                    throw TemplateError("bad operand type for unary " + e.name + ": " +
                                        v.typeName());
                }
                if (e.name == "+") {
                    return v;
                }
                return v.kind() == Value::Kind::Int ? Value::integer(-v.asInt())
                                                    : Value::number(-v.asDouble());
            }
            case Expr::Kind::Binary:
                return binary(e);
            case Expr::Kind::Conditional:
                if (eval(*e.args[0]).truthy()) {
                    return eval(*e.args[1]);
                }
                return e.args[2] ? eval(*e.args[2]) : Value();
        }
        return {};
    }

    static std::string describe(const Expr &e)
    {
        if (e.kind == Expr::Kind::Name) {
            return "'" + e.name + "'";
        }
        if (e.kind == Expr::Kind::Attribute) {
            return "'" + e.name + "'";
        }
        return "the value";
    }

    Value binary(const Expr &e)
    {
        const std::string &op = e.name;
        const Value a = eval(*e.args[0]);
        if (op == "and") {
            return a.truthy() ? eval(*e.args[1]) : a;
        }
        if (op == "or") {
            return a.truthy() ? a : eval(*e.args[1]);
        }
        const Value b = eval(*e.args[1]);
        if (op == "==") {
            return Value::boolean(a.equals(b));
        }
        if (op == "!=") {
            return Value::boolean(!a.equals(b));
        }
        if (op == "in" || op == "not in") {
            return Value::boolean(contains(b, a) == (op == "in"));
        }
        if (op == "~") {
            return Value::string(a.toOutput() + b.toOutput());
        }
        if (op == "<" || op == ">" || op == "<=" || op == ">=") {
            int order = 0;
            if (a.isNumber() && b.isNumber()) {
                order = a.asDouble() < b.asDouble() ? -1 : (a.asDouble() > b.asDouble() ? 1 : 0);
            } else if (a.isString() && b.isString()) {
                order = a.asString().compare(b.asString());
            } else {
                throw TemplateError("'" + op + "' not supported between " + a.typeName() + " and " +
                                    b.typeName());
            }
            return Value::boolean(op == "<"    ? order < 0
                                  : op == ">"  ? order > 0
                                  : op == "<=" ? order <= 0
                                               : order >= 0);
        }
        if (op == "+" && a.isString() && b.isString()) {
            return Value::string(a.asString() + b.asString());
        }
        if (op == "+" && a.isList() && b.isList()) {
            ValueList items = a.items();
            items.insert(items.end(), b.items().begin(), b.items().end());
            return Value::list(std::move(items));
        }
        if (op == "*" && a.isString() && b.kind() == Value::Kind::Int) {
            std::string out;
            for (std::int64_t i = 0; i < b.asInt(); ++i) {
                out += a.asString();
            }
            return Value::string(out);
        }
        if (!a.isNumber() || !b.isNumber()) {
            throw TemplateError("unsupported operand types for " + op + ": " + a.typeName() +
                                " and " + b.typeName());
        }
        return arithmetic(op, a, b);
    }

    static bool contains(const Value &container, const Value &item)
    {
        if (container.isString()) {
            return item.isString() &&
                   container.asString().find(item.asString()) != std::string::npos;
        }
        if (container.isList()) {
            for (const Value &v : container.items()) {
                if (v.equals(item)) {
                    return true;
                }
            }
            return false;
        }
        if (container.isMap()) {
            return item.isString() && !container.get(item.asString()).isUndefined();
        }
        throw TemplateError("argument of type '" + container.typeName() + "' is not iterable");
    }

    static Value arithmetic(const std::string &op, const Value &a, const Value &b)
    {
        const bool ints = a.kind() == Value::Kind::Int && b.kind() == Value::Kind::Int;
        const double x = a.asDouble();
        const double y = b.asDouble();
        if (op == "/") {
            if (y == 0) {
                throw TemplateError("division by zero");
            }
            return Value::number(x / y);
        }
        if ((op == "//" || op == "%") && y == 0) {
            throw TemplateError("integer division or modulo by zero");
        }
        if (ints) {
            const std::int64_t i = a.asInt();
            const std::int64_t j = b.asInt();
            if (op == "+") {
                return Value::integer(i + j);
            }
            if (op == "-") {
                return Value::integer(i - j);
            }
            if (op == "*") {
                return Value::integer(i * j);
            }
            // Python floors: -7 // 2 == -4 and -7 % 2 == 1.
            std::int64_t q = i / j;
            if ((i % j != 0) && ((i < 0) != (j < 0))) {
                --q;
            }
            if (op == "//") {
                return Value::integer(q);
            }
            if (op == "%") {
                return Value::integer(i - q * j);
            }
            if (op == "**" && j >= 0) {
                std::int64_t r = 1;
                for (std::int64_t k = 0; k < j; ++k) {
                    r *= i;
                }
                return Value::integer(r);
            }
        }
        if (op == "+") {
            return Value::number(x + y);
        }
        if (op == "-") {
            return Value::number(x - y);
        }
        if (op == "*") {
            return Value::number(x * y);
        }
        if (op == "//") {
            return Value::number(std::floor(x / y));
        }
        if (op == "%") {
            return Value::number(x - std::floor(x / y) * y);
        }
        if (op == "**") {
            return Value::number(std::pow(x, y));
        }
        throw TemplateError("unsupported operator " + op);
    }

    std::vector<ValueMap> m_scopes;
};

}  // namespace

std::string renderNodes(const NodeList &nodes, const Value &context)
{
    std::string out;
    Renderer(context).renderList(nodes, out);
    return out;
}

}  // namespace gyrus::jinja
