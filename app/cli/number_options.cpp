#include "app/cli/number_options.h"

#include "app/cli/cli.h"

namespace gyrus::cli {

namespace {

// Bounds at or beyond an int's limits are not worth saying: "an integer", not "an integer in
// [-2147483648, 2147483647]".
QString integerRange(int64_t minimum, int64_t maximum)
{
    const bool low = minimum > std::numeric_limits<int>::min();
    const bool high = maximum < kIntMax;
    if (low && high) {
        return QStringLiteral("an integer in [%1, %2]").arg(minimum).arg(maximum);
    }
    if (high) {
        return QStringLiteral("an integer <= %1").arg(maximum);
    }
    if (minimum == 1) {
        return QStringLiteral("a positive integer");
    }
    if (minimum == 0) {
        return QStringLiteral("a non-negative integer");
    }
    return low ? QStringLiteral("an integer >= %1").arg(minimum) : QStringLiteral("an integer");
}

QString numberRange(const NumberRange &range)
{
    const bool low = std::isfinite(range.minimum);
    const bool high = std::isfinite(range.maximum);
    if (low && high) {
        return QStringLiteral("a number in %1%2, %3]")
                .arg(range.excludeMinimum ? QLatin1Char('(') : QLatin1Char('['))
                .arg(range.minimum)
                .arg(range.maximum);
    }
    if (high) {
        return QStringLiteral("a number <= %1").arg(range.maximum);
    }
    if (!low) {
        return QStringLiteral("a number");
    }
    if (range.excludeMinimum) {
        return range.minimum == 0 ? QStringLiteral("a positive number")
                                  : QStringLiteral("a number > %1").arg(range.minimum);
    }
    return QStringLiteral("a number >= %1").arg(range.minimum);
}

Status refused(const QString &option, const QString &range, const QString &text)
{
    return Status::invalidInput(
            QStringLiteral("--%1 must be %2, got '%3'").arg(option, range, text));
}

}  // namespace

Result<int64_t> parseInteger(const QString &option, const QString &text, int64_t minimum,
                             int64_t maximum)
{
    bool ok = false;
    int64_t value = text.toLongLong(&ok);
    if (!ok) {
        // 1e6-style: a whole number written as a double (exact up to 2^53, as token counts are).
        const double number = text.toDouble(&ok);
        ok = ok && std::isfinite(number) && number == std::floor(number) &&
             std::abs(number) <= 9.0e18;
        value = ok ? static_cast<int64_t>(number) : 0;
    }
    if (!ok || value < minimum || value > maximum) {
        return refused(option, integerRange(minimum, maximum), text);
    }
    return value;
}

Result<double> parseNumber(const QString &option, const QString &text, const NumberRange &range)
{
    bool ok = false;
    const double value = text.toDouble(&ok);
    const bool aboveMinimum = range.excludeMinimum ? value > range.minimum : value >= range.minimum;
    if (!ok || !std::isfinite(value) || !aboveMinimum || value > range.maximum) {
        return refused(option, numberRange(range), text);
    }
    return value;
}

Result<int64_t> integerValue(const QCommandLineParser &parser, const QCommandLineOption &option,
                             int64_t minimum, int64_t maximum)
{
    return parseInteger(option.names().constFirst(), parser.value(option), minimum, maximum);
}

Result<double> numberValue(const QCommandLineParser &parser, const QCommandLineOption &option,
                           const NumberRange &range)
{
    return parseNumber(option.names().constFirst(), parser.value(option), range);
}

std::optional<int64_t> integerOption(const QCommandLineParser &parser, const QString &command,
                                     const QString &option, int64_t fallback, int64_t minimum)
{
    if (!parser.isSet(option)) {
        return fallback;
    }
    const Result<int64_t> value = parseInteger(option, parser.value(option), minimum, kInt64Max);
    if (!value) {
        failWith(command, value.status());
        return std::nullopt;
    }
    return value.value();
}

std::optional<double> numberOption(const QCommandLineParser &parser, const QString &command,
                                   const QString &option, double fallback, double minimum)
{
    if (!parser.isSet(option)) {
        return fallback;
    }
    const Result<double> value =
            parseNumber(option, parser.value(option), NumberRange::atLeast(minimum));
    if (!value) {
        failWith(command, value.status());
        return std::nullopt;
    }
    return value.value();
}

}  // namespace gyrus::cli
