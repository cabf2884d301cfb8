#pragma once
// gyrus-cli sae train|eval|encode: one file per subcommand, dispatched by sae_command.cpp.

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>

namespace gyrus::cli {

int runSaeTrain(const QStringList &arguments);
int runSaeEval(const QStringList &arguments);
int runSaeEncode(const QStringList &arguments);

/// The value of `option` as an integer >= minimum; std::nullopt (after reporting the error
/// through fail()) when it is not one. `fallback` when the option is absent.
std::optional<int64_t> integerOption(const QCommandLineParser &parser, const QString &command,
                                     const QString &option, int64_t fallback, int64_t minimum);

/// The value of `option` as a finite number >= minimum, as above.
std::optional<double> numberOption(const QCommandLineParser &parser, const QString &command,
                                   const QString &option, double fallback, double minimum);

}  // namespace gyrus::cli
