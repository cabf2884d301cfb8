// gyrus-cli sae eval: reconstruction and sparsity metrics of an SAE on held-out activations.

#include "app/cli/cli.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_commands.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_stream.h"
#include "gpu/sae/evaluation/sae_ce_recovery.h"
#include "gpu/sae/evaluation/sae_evaluation.h"
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
            "(> 10% of tokens), cosine_similarity. With --model and --corpus, also the SAE spliced "
            "into the model at its hook: ce_loss_original, ce_loss_sae, ce_loss_zero, "
            "ce_loss_with_error (must equal the original), kl_sae and ce_loss_recovered = "
            "(H_zero − H_sae)/(H_zero − H_orig)."));
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
            {QStringLiteral("model"), QStringLiteral("Model directory, for CE-loss recovered."),
             QStringLiteral("DIR")},
            {QStringLiteral("corpus"), QStringLiteral("Text for CE-loss recovered."),
             QStringLiteral("FILE")},
            {QStringLiteral("sequences"), QStringLiteral("Windows of 129 tokens for CE (64)."),
             QStringLiteral("N")},
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
    Result<SaeEvalMetrics> metrics =
            gpu::evaluateSae(*sae.value(), *source.value(), *maxTokens, *batch, device);
    if (!metrics) {
        return failWith(name, metrics.status());
    }
    const SaeEvalMetrics &m = metrics.value();
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
    if (parser.isSet(QStringLiteral("model")) != parser.isSet(QStringLiteral("corpus"))) {
        return fail(name, QStringLiteral("--model and --corpus go together"));
    }
    if (parser.isSet(QStringLiteral("model"))) {
        const auto sequences = integerOption(parser, name, QStringLiteral("sequences"), 64, 1);
        if (!sequences) {
            return kExitBadInput;
        }
        gpu::LoadOptions load;
        load.device = device;
        auto model = gpu::LanguageModel::load(parser.value(QStringLiteral("model")), load);
        if (!model) {
            return failWith(name, model.status());
        }
        gpu::SpliceEvalOptions options;
        options.corpusPath = parser.value(QStringLiteral("corpus"));
        options.maxSequences = static_cast<int>(*sequences);
        Result<gpu::SpliceEvalResult> splice =
                gpu::evaluateSaeSplice(*model.value(), *sae.value(), options);
        if (!splice) {
            return failWith(name, splice.status());
        }
        json[QStringLiteral("hook_name")] = splice->hookName;
        json[QStringLiteral("ce_tokens")] = static_cast<double>(splice->tokens);
        json[QStringLiteral("ce_loss_original")] = splice->ceOriginal;
        json[QStringLiteral("ce_loss_sae")] = splice->ceSae;
        json[QStringLiteral("ce_loss_zero")] = splice->ceZero;
        json[QStringLiteral("ce_loss_with_error")] = splice->ceWithError;
        json[QStringLiteral("kl_sae")] = splice->klSae;
        json[QStringLiteral("ce_loss_recovered")] = splice->ceLossRecovered;
        json[QStringLiteral("with_error_max_logit_difference")] =
                splice->withErrorMaxLogitDifference;
    }
    printJson(json);
    return kExitOk;
}

}  // namespace gyrus::cli
