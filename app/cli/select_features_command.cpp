// gyrus-cli select-features: rank features by how well they carry a two-condition contrast.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/feature_table.h"
#include "app/cli/number_options.h"
#include "core/steering/ensemble_clamp.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/method_comparison.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace gyrus::cli {

namespace {

// The features as one weighted steering edit towards the first level (label 0), written as a
// clamp set; its numbers as JSON.
Result<QJsonObject> writeEnsemble(const FeatureTable &data, const std::vector<int64_t> &features,
                                  const QString &strengthText, const QString &path,
                                  const QString &method)
{
    const Result<double> strengthValue = parseNumber(QStringLiteral("strength"), strengthText);
    if (!strengthValue) {
        return strengthValue.status();
    }
    const double strength = *strengthValue;
    std::vector<int64_t> towardsFirst(data.labels.size());
    for (size_t i = 0; i < towardsFirst.size(); ++i) {
        towardsFirst[i] = 1 - data.labels[i];
    }
    Result<gpu::EnsembleClassifier> fit =
            gpu::fitEnsembleClassifier(data.x, towardsFirst, features);
    if (!fit) {
        return fit.status();
    }
    const std::vector<int> ids(features.begin(), features.end());
    Result<ClampSet> set =
            ensembleClampSet(QStringLiteral("ensemble: %1 × %2").arg(method).arg(strength), ids,
                             fit->weights, fit->sds, strength);
    if (!set) {
        return set.status();
    }
    QSaveFile file(path);
    const QByteArray bytes = clampSetToJson(set.value());
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    QJsonArray entries;
    for (size_t j = 0; j < features.size(); ++j) {
        const double value = strength * fit->sds[j] * fit->weights[j] /
                             std::abs(*std::max_element(
                                     fit->weights.begin(), fit->weights.end(),
                                     [](double a, double b) { return std::abs(a) < std::abs(b); }));
        entries.append(QJsonObject{{QStringLiteral("feature"), qint64(features[j])},
                                   {QStringLiteral("weight"), fit->weights[j]},
                                   {QStringLiteral("sd"), fit->sds[j]},
                                   {QStringLiteral("add"), value}});
    }
    return QJsonObject{{QStringLiteral("clamp_set"), path},
                       {QStringLiteral("strength"), strength},
                       {QStringLiteral("intercept"), fit->intercept},
                       {QStringLiteral("features"), entries}};
}

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
            "--factor]. With --ensemble FILE.json (SAE feature tables), the k features also "
            "become one steering edit: the classifier that decodes the first level from them on "
            "every item (L2 logistic regression on standardised values) weights them, and "
            "feature j is added along its decoder direction with m · sd_j · w_j / max|w| "
            "(--strength m), a clamp set for `generate --clamp-set` and the Steering dock "
            "(the original project's weighted clamping with its unit mismatch fixed)."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 feature table."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("One of: ") +
                                            namesOf<SelectionMethod>().join(QStringLiteral(", ")) +
                                            QLatin1Char('.'),
                                    QStringLiteral("M"), QStringLiteral("pooled-separation-r"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("How many features to list."),
                               QStringLiteral("K"), QStringLiteral("8"));
    const QCommandLineOption ensemble(
            QStringLiteral("ensemble"),
            QStringLiteral("Also write the k features, weighted by their classifier, as a clamp "
                           "set (SAE features)."),
            QStringLiteral("FILE.json"));
    const QCommandLineOption strength(
            QStringLiteral("strength"),
            QStringLiteral("Ensemble strength m: the strongest feature moves m standard "
                           "deviations towards the first level (negative: away)."),
            QStringLiteral("M"), QStringLiteral("2"));
    parser.addOptions({input, method, k, ensemble, strength});
    const FeatureTableOptions table(parser, QStringLiteral("select-features"));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(input) && !table.fromPrompts(parser)) {
        return fail(name, QStringLiteral("give --input, or --model --prompts and --hook or --sae"));
    }
    const std::optional<SelectionMethod> chosen = fromName<SelectionMethod>(parser.value(method));
    if (!chosen) {
        return fail(name, QStringLiteral("unknown method '%1' (%2)")
                                  .arg(parser.value(method),
                                       namesOf<SelectionMethod>().join(QStringLiteral(", "))));
    }
    const Result<int64_t> featureCount = integerValue(parser, k, 1);
    if (!featureCount) {
        return failWith(name, featureCount.status());
    }
    const int count = int(*featureCount);
    Result<FeatureTable> data = table.read(parser, parser.value(input), /*withSae=*/true);
    if (!data) {
        return failWith(name, data.status());
    }
    if (isTemporalMethod(*chosen) && data->windows.items == 0) {
        return fail(name, QStringLiteral("%1 needs aligned token windows: an --input written by "
                                         "`represent --pooling window` (/X and /mask), or "
                                         "--pooling window")
                                  .arg(nameOf(*chosen)));
    }
    Result<std::vector<double>> scores =
            isTemporalMethod(*chosen) ? gpu::featureScores(data->windows, data->labels, *chosen)
                                      : gpu::featureScores(data->x, data->labels, *chosen);
    if (!scores) {
        return failWith(name, scores.status());
    }
    QJsonArray top;
    for (int64_t feature : gpu::topFeatures(scores.value(), count)) {
        top.append(QJsonObject{{QStringLiteral("feature"), qint64(feature)},
                               {QStringLiteral("score"), scores.value()[size_t(feature)]}});
    }
    QJsonObject json{{QStringLiteral("method"), nameOf(*chosen)},
                     {QStringLiteral("items"), qint64(data->x.rows)},
                     {QStringLiteral("features"), qint64(data->x.cols)},
                     {QStringLiteral("top"), top}};
    if (parser.isSet(ensemble)) {
        Result<QJsonObject> written =
                writeEnsemble(*data, gpu::topFeatures(scores.value(), count),
                              parser.value(strength), parser.value(ensemble), nameOf(*chosen));
        if (!written) {
            return failWith(name, written.status());
        }
        json.insert(QStringLiteral("ensemble"), written.value());
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command selectFeaturesCommand()
{
    return {QStringLiteral("select-features"),
            QStringLiteral("Rank features by how well they carry a contrast."), &runSelectFeatures};
}

}  // namespace gyrus::cli
