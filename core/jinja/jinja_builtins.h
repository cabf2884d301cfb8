#pragma once
// Jinja's filters, tests, global functions and the Python str/dict methods that chat templates
// call. Arguments arrive evaluated: positional first, then keyword values named by keywords.

#include "core/jinja/jinja_value.h"

#include <string>
#include <vector>

namespace gyrus::jinja {

struct Arguments
{
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;

    /// The argument at position index or named name, or fallback.
    Value at(std::size_t index, const char *name, Value fallback = {}) const;
};

Value applyFilter(const std::string &name, const Value &input, const Arguments &args);
bool applyTest(const std::string &name, const Value &input, const Arguments &args);
Value callMethod(const Value &object, const std::string &name, const Arguments &args);
Value callFunction(const std::string &name, const Arguments &args);

/// Python's str.strip family: chars empty means whitespace. which: 'l', 'r' or 'b' (both).
std::string stripText(const std::string &text, const Value &chars, char which);
/// Python indexing on lists and strings (by code point): negative counts from the end;
/// Undefined when out of range.
Value indexValue(const Value &container, std::int64_t index);
/// Python slicing (start/stop/step may be Undefined for omitted).
Value sliceValue(const Value &container, const Value &start, const Value &stop, const Value &step);
/// Splits UTF-8 text into code points (each a string).
std::vector<std::string> codePoints(const std::string &text);

}  // namespace gyrus::jinja
