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
            "Score every feature of a feature table [items, features] for a two-condition "
            "labelling and print the k best as JSON. Methods: max-activation (|mean difference|), "
            "univariate (|Welch t|), discriminative-rsa (correlation of the feature's item RDM "
            "with the categorical model RDM), categorical-rsa (between- minus within-condition "
            "distance over their pooled SD; see gpu/analysis/feature_selection.h). The table comes "
            "from --input (as `gyrus-cli represent` writes it; the smaller label is condition 0) "
            "or is computed from --model, --prompts, --hook [--sae --pooling --window --factor]."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 feature table."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption method(
            QStringLiteral("method"),
            QStringLiteral("max-activation, univariate, discriminative-rsa or categorical-rsa."),
            QStringLiteral("M"), QStringLiteral("discriminative-rsa"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("How many features to list."),
                               QStringLiteral("K"), QStringLiteral("8"));
    parser.addOptions({input, method, k});
    const FeatureTableOptions table(parser);
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(input) && !table.fromPrompts(parser)) {
        return fail(name, QStringLiteral("give --input, or --model --prompts --hook"));
    }
    const std::optional<gpu::SelectionMethod> chosen =
            gpu::selectionMethodFromName(parser.value(method));
    if (!chosen) {
        return fail(name, QStringLiteral("unknown method '%1'").arg(parser.value(method)));
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
    Result<std::vector<double>> scores = gpu::featureScores(data->x, data->labels, *chosen);
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
