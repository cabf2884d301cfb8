#pragma once
// Evaluates a parsed template (jinja_ast.h) against a context dict.

#include "core/jinja/jinja_ast.h"

#include <string>

namespace gyrus::jinja {

/// Throws TemplateError on raise_exception() or a runtime error.
std::string renderNodes(const NodeList &nodes, const Value &context);

}  // namespace gyrus::jinja
