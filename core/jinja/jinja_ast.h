#pragma once
// The parsed form of a template: expressions and statements of the Jinja subset that chat
// templates use (see jinja_template.h for the list).

#include "core/jinja/jinja_value.h"

#include <memory>
#include <string>
#include <vector>

namespace gyrus::jinja {

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr
{
    enum class Kind
    {
        Literal,      ///< value
        Name,         ///< name
        ListLiteral,  ///< args
        MapLiteral,   ///< keys (names) and args
        Attribute,    ///< args[0].name
        Subscript,    ///< args[0][args[1]]
        Slice,        ///< args[0][args[1]:args[2]:args[3]] (null: omitted)
        Call,         ///< args[0](args[1..], keywords), name: the method or function name
        Filter,       ///< args[0] | name(args[1..])
        Test,         ///< args[0] is [not] name(args[1..]); negated
        Unary,        ///< op args[0] ("not", "-", "+")
        Binary,       ///< args[0] op args[1]
        Conditional,  ///< args[1] if args[0] else args[2] (args[2] may be null)
    };

    Kind kind = Kind::Literal;
    Value value;
    std::string name;  ///< Name, Attribute, Call (callee), Filter, Test; the operator otherwise
    std::vector<ExprPtr> args;
    std::vector<std::string> keywords;  ///< Call/Filter: names of the last keywords.size() args
    bool negated = false;
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;
using NodeList = std::vector<NodePtr>;

struct Node
{
    enum class Kind
    {
        Text,    ///< text
        Output,  ///< {{ expr }}
        If,      ///< branches: (condition, body)..., elseBody
        For,     ///< targets in expr: body, elseBody (for ... else)
        Set,     ///< targets = expr; attribute: set targets[0].attribute
        Break,
        Continue,
        Generation,  ///< {% generation %} body {% endgeneration %}: rendered as is
    };

    Kind kind = Kind::Text;
    std::string text;
    ExprPtr expr;
    std::vector<std::pair<ExprPtr, NodeList>> branches;
    NodeList body;
    NodeList elseBody;
    std::vector<std::string> targets;
    std::string attribute;
    int line = 1;  ///< for error messages
};

/// Parses template source; throws TemplateError with the line on a syntax error.
NodeList parseTemplate(const std::string &source);

}  // namespace gyrus::jinja
