#pragma once
// Numbers on gyrus-cli's command lines: one parser and one message for every command. A value
// that is not a number in its option's range is refused with InvalidInput
//
//   --NAME must be RANGE, got 'TEXT'
//
// where RANGE says the range in words: "a positive integer", "a non-negative integer", "an
// integer >= 2", "an integer in [0, 11]", "a number", "a number >= 0", "a positive number",
// "a number in (0, 1]". Whole numbers may be written 1e6-style (token counts).

#include "core/base/status.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QString>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace gyrus::cli {

/// The default upper bound of an integer option: the largest int (most options fill an int).
constexpr int64_t kIntMax = std::numeric_limits<int>::max();
/// For options that fill an int64_t (token counts, seeds).
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// The allowed values of a number option; the lower bound may be excluded ("a positive number").
struct NumberRange
{
    double minimum = -HUGE_VAL;
    double maximum = HUGE_VAL;
    bool excludeMinimum = false;

    static NumberRange any() { return {}; }

    static NumberRange atLeast(double minimum) { return {minimum, HUGE_VAL, false}; }

    static NumberRange above(double minimum) { return {minimum, HUGE_VAL, true}; }

    static NumberRange between(double minimum, double maximum) { return {minimum, maximum, false}; }
};

/// `text`, the value of --`option`, as a whole number in [minimum, maximum]; the message above
/// otherwise.
Result<int64_t> parseInteger(const QString &option, const QString &text, int64_t minimum,
                             int64_t maximum = kIntMax);

/// `text`, the value of --`option`, as a finite number in `range`; the message above otherwise.
Result<double> parseNumber(const QString &option, const QString &text,
                           const NumberRange &range = NumberRange::any());

/// parseInteger() of `option`'s value (its default value when the option is not given).
Result<int64_t> integerValue(const QCommandLineParser &parser, const QCommandLineOption &option,
                             int64_t minimum, int64_t maximum = kIntMax);

/// parseNumber() of `option`'s value (its default value when the option is not given).
Result<double> numberValue(const QCommandLineParser &parser, const QCommandLineOption &option,
                           const NumberRange &range = NumberRange::any());

/// The value of the option named `option` as an integer in [minimum, kInt64Max], or `fallback`
/// when it is not given; std::nullopt after reporting the message through fail(command, ...).
std::optional<int64_t> integerOption(const QCommandLineParser &parser, const QString &command,
                                     const QString &option, int64_t fallback, int64_t minimum);

/// The value of the option named `option` as a finite number >= minimum, as above.
std::optional<double> numberOption(const QCommandLineParser &parser, const QString &command,
                                   const QString &option, double fallback, double minimum);

}  // namespace gyrus::cli
