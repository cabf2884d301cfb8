// gyrus-cli select-features: rank features by how well they carry a two-condition contrast.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/hdf5_reader.h"
#include "gpu/analysis/feature_selection.h"

#include <QJsonArray>
#include <QJsonObject>

#include <set>

namespace gyrus::cli {

namespace {

int runSelectFeatures(const QStringList &arguments)
{
    const QString name = QStringLiteral("select-features");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Score every feature of an HDF5 feature table [items, features] for a two-condition "
            "labelling and print the k best as JSON. Methods: max-activation (|mean difference|), "
            "univariate (|Welch t|), discriminative-rsa (correlation of the feature's item RDM "
            "with the categorical model RDM), categorical-rsa (between- minus within-condition "
            "distance over their pooled SD; see gpu/analysis/feature_selection.h). The labels' "
            "smaller value is condition 0. `gyrus-cli represent` writes such a table."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 file."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("Feature table."),
                                     QStringLiteral("NAME"), QStringLiteral("features"));
    const QCommandLineOption labelsDataset(QStringLiteral("labels-dataset"),
                                           QStringLiteral("Two-valued labels [items]."),
                                           QStringLiteral("NAME"), QStringLiteral("labels"));
    const QCommandLineOption method(
            QStringLiteral("method"),
            QStringLiteral("max-activation, univariate, discriminative-rsa or categorical-rsa."),
            QStringLiteral("M"), QStringLiteral("discriminative-rsa"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("How many features to list."),
                               QStringLiteral("K"), QStringLiteral("8"));
    parser.addOptions({input, dataset, labelsDataset, method, k});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(input)) {
        return fail(name, QStringLiteral("--input is required"));
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
    auto reader = Hdf5Reader::open(parser.value(input));
    if (!reader) {
        return failWith(name, reader.status());
    }
    Result<FloatMatrix> features = reader.value()->readFloatMatrix(parser.value(dataset));
    Result<std::vector<int64_t>> raw = reader.value()->readIntVector(parser.value(labelsDataset));
    if (!features || !raw) {
        return failWith(name, !features ? features.status() : raw.status());
    }
    const std::set<int64_t> values(raw->begin(), raw->end());
    if (values.size() != 2) {
        return fail(name, QStringLiteral("%1: the labels must take exactly two values, found %2")
                                  .arg(parser.value(labelsDataset))
                                  .arg(values.size()));
    }
    std::vector<int64_t> labels;
    for (int64_t v : raw.value()) {
        labels.push_back(v == *values.begin() ? 0 : 1);
    }
    Result<std::vector<double>> scores = gpu::featureScores(features.value(), labels, *chosen);
    if (!scores) {
        return failWith(name, scores.status());
    }
    QJsonArray top;
    for (int64_t feature : gpu::topFeatures(scores.value(), count)) {
        top.append(QJsonObject{{QStringLiteral("feature"), qint64(feature)},
                               {QStringLiteral("score"), scores.value()[size_t(feature)]}});
    }
    printJson(QJsonObject{{QStringLiteral("method"), gpu::selectionMethodName(*chosen)},
                          {QStringLiteral("items"), qint64(features->rows)},
                          {QStringLiteral("features"), qint64(features->cols)},
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
