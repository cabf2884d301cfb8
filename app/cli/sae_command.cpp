// gyrus-cli sae: train, evaluate and apply sparse autoencoders on HDF5 activation files.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/sae_commands.h"

#include <cmath>

namespace gyrus::cli {

std::optional<int64_t> integerOption(const QCommandLineParser &parser, const QString &command,
                                     const QString &option, int64_t fallback, int64_t minimum)
{
    if (!parser.isSet(option)) {
        return fallback;
    }
    bool ok = false;
    // Accepts 1e6-style token counts as well as plain integers.
    const double value = parser.value(option).toDouble(&ok);
    if (!ok || value != std::floor(value) || value < static_cast<double>(minimum) ||
        value > 9.0e18) {
        fail(command, QStringLiteral("--%1 must be an integer >= %2 (got '%3')")
                              .arg(option)
                              .arg(minimum)
                              .arg(parser.value(option)));
        return std::nullopt;
    }
    return static_cast<int64_t>(value);
}

std::optional<double> numberOption(const QCommandLineParser &parser, const QString &command,
                                   const QString &option, double fallback, double minimum)
{
    if (!parser.isSet(option)) {
        return fallback;
    }
    bool ok = false;
    const double value = parser.value(option).toDouble(&ok);
    if (!ok || !std::isfinite(value) || value < minimum) {
        fail(command, QStringLiteral("--%1 must be a number >= %2 (got '%3')")
                              .arg(option)
                              .arg(minimum)
                              .arg(parser.value(option)));
        return std::nullopt;
    }
    return value;
}

namespace {

QString usage()
{
    return QStringLiteral(
            "Usage: gyrus-cli sae <subcommand> [options]\n\n"
            "Sparse autoencoders on HDF5 activation files (/activations [N, d]).\n\n"
            "Subcommands:\n"
            "  train    Train an SAE (relu, topk, batchtopk, jumprelu); writes a SAELens "
            "directory.\n"
            "  eval     Explained variance, MSE, L0, dead fraction of an SAE on activations.\n"
            "  encode   Feature activations of every row, dense or top-k, to HDF5.\n\n"
            "`gyrus-cli sae <subcommand> --help` explains one.\n");
}

int runSae(const QStringList &arguments)
{
    return runSubcommand(QStringLiteral("sae"), arguments,
                         {{QStringLiteral("train"), &runSaeTrain},
                          {QStringLiteral("eval"), &runSaeEval},
                          {QStringLiteral("encode"), &runSaeEncode}},
                         usage());
}

}  // namespace

Command saeCommand()
{
    return {QStringLiteral("sae"),
            QStringLiteral("Train, evaluate and apply sparse autoencoders (SAELens format)."),
            &runSae};
}

}  // namespace gyrus::cli
