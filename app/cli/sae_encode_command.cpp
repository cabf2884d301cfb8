// gyrus-cli sae encode: the SAE's feature activations of every activation row, to HDF5.

#include "app/cli/cli.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_commands.h"
#include "gpu/sae/activations/sae_encoding.h"
#include "gpu/sae/sae_io.h"

#include <QJsonObject>

namespace gyrus::cli {

int runSaeEncode(const QStringList &arguments)
{
    const QString name = QStringLiteral("sae encode");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Encode every row of an HDF5 activation file with an SAE. Dense output: /features "
            "[N, d_sae] float32. With --top-k K: /indices [N, K] int32 and /values [N, K] float32, "
            "the K largest activations per row, largest first (zeros past the active ones)."));
    parser.addOptions({
            {QStringLiteral("sae"), QStringLiteral("SAE directory (cfg.json, sae_weights)."),
             QStringLiteral("DIR")},
            {QStringLiteral("activations"), QStringLiteral("HDF5 activation file."),
             QStringLiteral("FILE.h5")},
            {QStringLiteral("dataset"), QStringLiteral("Dataset name (default activations)."),
             QStringLiteral("NAME"), QStringLiteral("activations")},
            {QStringLiteral("out"), QStringLiteral("Output HDF5 file (overwritten)."),
             QStringLiteral("FILE.h5")},
            {QStringLiteral("top-k"),
             QStringLiteral("Store the K largest per row (dense if absent)."), QStringLiteral("K")},
            {QStringLiteral("batch-size"), QStringLiteral("Rows per batch (4096)."),
             QStringLiteral("B")},
            {QStringLiteral("device"), QStringLiteral("cpu or cuda (cpu)."),
             QStringLiteral("DEVICE"), QStringLiteral("cpu")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QString &required :
         {QStringLiteral("sae"), QStringLiteral("activations"), QStringLiteral("out")}) {
        if (!parser.isSet(required)) {
            return fail(name, QStringLiteral("--%1 is required (see --help)").arg(required));
        }
    }
    const auto topK = integerOption(parser, name, QStringLiteral("top-k"), 0, 1);
    const auto batch = integerOption(parser, name, QStringLiteral("batch-size"), 4096, 1);
    if (!topK || !batch) {
        return kExitBadInput;
    }
    auto sae = gpu::loadSae(parser.value(QStringLiteral("sae")));
    if (!sae) {
        return failWith(name, sae.status());
    }
    gpu::SaeEncodeOptions options;
    options.dataset = parser.value(QStringLiteral("dataset"));
    options.topK = *topK;
    options.batchSize = *batch;
    options.device = parser.value(QStringLiteral("device"));
    options.saeDescription = parser.value(QStringLiteral("sae"));
    Result<int64_t> rows =
            gpu::encodeActivationFile(*sae.value(), parser.value(QStringLiteral("activations")),
                                      parser.value(QStringLiteral("out")), options);
    if (!rows) {
        return failWith(name, rows.status());
    }
    QJsonObject json;
    json[QStringLiteral("out")] = parser.value(QStringLiteral("out"));
    json[QStringLiteral("rows")] = static_cast<double>(rows.value());
    json[QStringLiteral("layout")] = *topK > 0 ? QStringLiteral("top-k") : QStringLiteral("dense");
    if (*topK > 0) {
        json[QStringLiteral("k")] = static_cast<double>(*topK);
    }
    printJson(json);
    return kExitOk;
}

}  // namespace gyrus::cli
