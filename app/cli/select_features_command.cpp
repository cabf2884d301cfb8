// gyrus-cli select-features: rank features by how well they carry a two-condition contrast.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/feature_table.h"
#include "gpu/analysis/feature_selection.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runSelectFeatures(const QStringList &arguments)
{
    const QString name = QStringLiteral("select-features");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Score every feature of a feature table for a two-condition labelling and print the "
            "k best as JSON (with -k at least the number of features, all of them). Methods on "
            "one pooled value per item (gpu/analysis/feature_selection.h): mean-difference "
            "(|mean A − mean B|), univariate (|Welch t|), pooled-separation-r (correlation of "
            "|x_i − x_j| with the between/within model), pooled-separation-d (between- minus "
            "within-condition |x_i − x_j| over their pooled SD; ranks as pooled-separation-r on "
            "balanced designs), seed-max-activation (the largest value, condition-blind, as the "
            "original project selected). Methods on aligned token windows "
            "(gpu/analysis/temporal_rsa.h; the table from `represent --pooling window`): "
            "temporal-discriminative-rsa and temporal-categorical-rsa, Spearman's rank "
            "correlation between the feature's correlation-distance RDM of the items' time "
            "courses and the between/within model, or the within-A/within-B model (positive: A, "
            "the first level, is the more coherent). The pooled methods accept such a table too "
            "(each item's mean over its real positions). Former names: max-activation, "
            "discriminative-rsa, categorical-rsa. The table comes from --input (as `gyrus-cli "
            "represent` writes it; the smaller label is condition A) or is computed from "
            "--model, --prompts, --hook (default: the --sae's hook) [--sae --pooling --window "
            "--align "
            "--factor]."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 feature table."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("One of: ") +
                                            gpu::selectionMethodNames().join(QStringLiteral(", ")) +
                                            QLatin1Char('.'),
                                    QStringLiteral("M"), QStringLiteral("pooled-separation-r"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("How many features to list."),
                               QStringLiteral("K"), QStringLiteral("8"));
    parser.addOptions({input, method, k});
    const FeatureTableOptions table(parser, QStringLiteral("select-features"));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(input) && !table.fromPrompts(parser)) {
        return fail(name, QStringLiteral("give --input, or --model --prompts and --hook or --sae"));
    }
    const std::optional<gpu::SelectionMethod> chosen =
            gpu::selectionMethodFromName(parser.value(method));
    if (!chosen) {
        return fail(name, QStringLiteral("unknown method '%1' (%2)")
                                  .arg(parser.value(method),
                                       gpu::selectionMethodNames().join(QStringLiteral(", "))));
    }
    bool ok = false;
    const int count = parser.value(k).toInt(&ok);
    if (!ok || count < 1) {
        return fail(name, QStringLiteral("--k must be a positive integer"));
    }
    Result<FeatureTable> data = table.read(parser, parser.value(input), /*withSae=*/true);
    if (!data) {
        return failWith(name, data.status());
    }
    if (gpu::isTemporalMethod(*chosen) && data->windows.items == 0) {
        return fail(name, QStringLiteral("%1 needs aligned token windows: an --input written by "
                                         "`represent --pooling window` (/X and /mask), or "
                                         "--pooling window")
                                  .arg(gpu::selectionMethodName(*chosen)));
    }
    Result<std::vector<double>> scores =
            gpu::isTemporalMethod(*chosen)
                    ? gpu::featureScores(data->windows, data->labels, *chosen)
                    : gpu::featureScores(data->x, data->labels, *chosen);
    if (!scores) {
        return failWith(name, scores.status());
    }
    QJsonArray top;
    for (int64_t feature : gpu::topFeatures(scores.value(), count)) {
        top.append(QJsonObject{{QStringLiteral("feature"), qint64(feature)},
                               {QStringLiteral("score"), scores.value()[size_t(feature)]}});
    }
    printJson(QJsonObject{{QStringLiteral("method"), gpu::selectionMethodName(*chosen)},
                          {QStringLiteral("items"), qint64(data->x.rows)},
                          {QStringLiteral("features"), qint64(data->x.cols)},
                          {QStringLiteral("top"), top}});
    return kExitOk;
}

}  // namespace

Command selectFeaturesCommand()
{
    return {QStringLiteral("select-features"),
            QStringLiteral("Rank features by how well they carry a contrast."), &runSelectFeatures};
}

}  // namespace gyrus::cli
