#pragma once
// gyrus-cli sae train|eval|encode: one file per subcommand, dispatched by sae_command.cpp.

#include <QStringList>

namespace gyrus::cli {

int runSaeTrain(const QStringList &arguments);
int runSaeEval(const QStringList &arguments);
int runSaeEncode(const QStringList &arguments);

}  // namespace gyrus::cli
