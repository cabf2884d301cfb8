// gyrus-cli sae eval: reconstruction and sparsity metrics of an SAE on held-out activations.

#include "app/cli/cli.h"
#include "app/cli/sae_commands.h"
#include "gpu/sae/activation_file.h"
#include "gpu/sae/sae_evaluation.h"
#include "gpu/sae/sae_io.h"

#include <QJsonObject>

namespace gyrus::cli {

int runSaeEval(const QStringList &arguments)
{
    const QString name = QStringLiteral("sae eval");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Evaluate an SAE directory (SAELens layout) on an HDF5 activation file; prints JSON "
            "with explained_variance (1 − Σ‖x−x̂‖²/Σ‖x−x̄‖²), mse (per element), mse_per_token, "
            "normalized_mse, l0, l1, dead_fraction (never fired on these tokens), dense_fraction "
            "(> 10% of tokens), cosine_similarity. CE-loss recovered needs the model (not here)."));
    parser.addOptions({
            {QStringLiteral("sae"), QStringLiteral("SAE directory (cfg.json, sae_weights)."),
             QStringLiteral("DIR")},
            {QStringLiteral("activations"), QStringLiteral("HDF5 activation file."),
             QStringLiteral("FILE.h5")},
            {QStringLiteral("dataset"), QStringLiteral("Dataset name (default activations)."),
             QStringLiteral("NAME"), QStringLiteral("activations")},
            {QStringLiteral("max-tokens"), QStringLiteral("Evaluate the first N rows (all)."),
             QStringLiteral("N")},
            {QStringLiteral("batch-size"), QStringLiteral("Rows per batch (4096)."),
             QStringLiteral("B")},
            {QStringLiteral("device"), QStringLiteral("cpu or cuda (cpu)."),
             QStringLiteral("DEVICE"), QStringLiteral("cpu")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QString &required : {QStringLiteral("sae"), QStringLiteral("activations")}) {
        if (!parser.isSet(required)) {
            return fail(name, QStringLiteral("--%1 is required (see --help)").arg(required));
        }
    }
    const auto maxTokens = integerOption(parser, name, QStringLiteral("max-tokens"), 0, 1);
    const auto batch = integerOption(parser, name, QStringLiteral("batch-size"), 4096, 1);
    if (!maxTokens || !batch) {
        return kExitBadInput;
    }
    const QString device = parser.value(QStringLiteral("device"));
    auto sae = gpu::loadSae(parser.value(QStringLiteral("sae")));
    if (!sae) {
        return failWith(name, sae.status());
    }
    auto source = gpu::openActivationFile(parser.value(QStringLiteral("activations")),
                                          parser.value(QStringLiteral("dataset")), false, 0);
    if (!source) {
        return failWith(name, source.status());
    }
    Result<gpu::SaeEvalMetrics> metrics =
            gpu::evaluateSae(*sae.value(), *source.value(), *maxTokens, *batch, device);
    if (!metrics) {
        return failWith(name, metrics.status());
    }
    const gpu::SaeEvalMetrics &m = metrics.value();
    QJsonObject json;
    json[QStringLiteral("sae")] = parser.value(QStringLiteral("sae"));
    json[QStringLiteral("activations")] = parser.value(QStringLiteral("activations"));
    json[QStringLiteral("tokens")] = static_cast<double>(m.tokens);
    json[QStringLiteral("explained_variance")] = m.explainedVariance;
    json[QStringLiteral("mse")] = m.mse;
    json[QStringLiteral("mse_per_token")] = m.msePerToken;
    json[QStringLiteral("normalized_mse")] = m.normalizedMse;
    json[QStringLiteral("l0")] = m.l0;
    json[QStringLiteral("l1")] = m.l1;
    json[QStringLiteral("dead_fraction")] = m.deadFraction;
    json[QStringLiteral("dense_fraction")] = m.denseFraction;
    json[QStringLiteral("cosine_similarity")] = m.cosineSimilarity;
    printJson(json);
    return kExitOk;
}

}  // namespace gyrus::cli
