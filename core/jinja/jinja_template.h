#pragma once
// A Jinja template engine for the subset that Hugging Face chat templates use (Debian has no C++
// Jinja library). Rendering matches jinja2 with transformers' options (trim_blocks,
// lstrip_blocks, tojson without ASCII escaping) on the real templates of Llama 3/3.1, Qwen 2.5/3
// and Gemma 3 (tests/core/tst_chat_template against transformers' apply_chat_template).
//
// Supported: {{ }}, {% if/elif/else %}, {% for a[, b] in xs [if c] %} with loop.* and else,
// {% set x = ... %}, {% set ns.attr = ... %}, {% set x %}...{% endset %}, break/continue,
// {% generation %}, comments, "-"/"+" whitespace marks; literals (str, int, float, bool, none,
// lists, dicts), names, .attr, [key], slices, calls, filters, tests, not/and/or, comparisons, in,
// arithmetic, ~, conditional expressions; the functions namespace(), raise_exception(),
// range(), dict(), strftime_now(); string and dict methods. Anything else is a clear error.

#include "core/base/status.h"
#include "core/jinja/jinja_value.h"

#include <QJsonValue>

#include <memory>
#include <string>

namespace gyrus::jinja {

struct Node;

class Template
{
public:
    /// Parses source; a syntax error names the line.
    static Result<Template> parse(const std::string &source);

    /// Renders with the variables of context (a dict). raise_exception() in the template and
    /// runtime type errors come back as InvalidInput with the template's message.
    Result<std::string> render(const Value &context) const;

private:
    std::shared_ptr<const std::vector<std::shared_ptr<const Node>>> m_nodes;
};

/// JSON (a conversation, tools) as template values; objects keep their key order.
Value fromJson(const QJsonValue &json);

}  // namespace gyrus::jinja
