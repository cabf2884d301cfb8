// gyrus-cli sae: train, evaluate and apply sparse autoencoders on HDF5 activation files.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/sae_commands.h"

namespace gyrus::cli {

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
