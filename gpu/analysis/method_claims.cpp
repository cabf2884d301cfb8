#include "gpu/analysis/method_claims.h"

#include "gpu/analysis/feature_set_rsa.h"

#include <QJsonArray>

namespace gyrus::gpu {

Result<std::vector<ComparisonRow>> comparisonRows(const std::vector<MethodScore> &scores,
                                                  const FloatMatrix &x,
                                                  const TemporalTable &windows,
                                                  const std::vector<int64_t> &labels,
                                                  const QString &representation,
                                                  const QString &version, int k)
{
    const bool hasWindows = windows.items > 0;
    std::vector<ComparisonRow> rows;
    for (const MethodScore &score : scores) {
        ComparisonRow row;
        row.representation = representation;
        row.version = version;
        row.score = score;
        if (score.method == SelectionMethod::FeatureSetRsa) {
            Result<FeatureSetSelection> set = featureSetRsaSelection(x, labels, k);
            if (!set) {
                return set.status();
            }
            row.selectedOnAllItems = set->features;
        } else {
            Result<std::vector<double>> all = hasWindows
                                                      ? featureScores(windows, labels, score.method)
                                                      : featureScores(x, labels, score.method);
            if (!all) {
                return all.status();
            }
            row.selectedOnAllItems = topFeatures(all.value(), k);
        }
        for (const SeedCombination &combination : seedCombinations()) {
            const bool sae = representation == QLatin1String("sae");
            const SelectionMethod method = version == QLatin1String("seed")
                                                   ? combination.seedMethod
                                                   : combination.correctedMethod;
            if (combination.sae == sae && method == score.method) {
                row.combination = combination.name;
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

QJsonObject comparisonRowJson(const ComparisonRow &row)
{
    const MethodScore &score = row.score;
    QJsonArray selected;
    for (int64_t feature : row.selectedOnAllItems) {
        selected.append(qint64(feature));
    }
    QJsonObject json{{QStringLiteral("representation"), row.representation},
                     {QStringLiteral("method"), nameOf(score.method)},
                     {QStringLiteral("balanced_accuracy"), score.balancedAccuracy},
                     {QStringLiteral("balanced_accuracy_ci"),
                      QJsonArray{score.balancedAccuracyLow, score.balancedAccuracyHigh}},
                     {QStringLiteral("auc"), score.auc},
                     {QStringLiteral("auc_ci"), QJsonArray{score.aucLow, score.aucHigh}},
                     {QStringLiteral("null_balanced_accuracy"), score.nullMean},
                     {QStringLiteral("p"), score.p},
                     {QStringLiteral("selected_on_all_items"), selected}};
    if (!row.version.isEmpty()) {
        json.insert(QStringLiteral("version"), row.version);
    }
    if (!row.combination.isEmpty()) {
        json.insert(QStringLiteral("combination"), row.combination);
    }
    if (!score.sameSelectionsAs.isEmpty()) {
        json.insert(QStringLiteral("same_selections_as"), score.sameSelectionsAs);
    }
    return json;
}

const std::vector<SeedCombination> &seedCombinations()
{
    static const std::vector<SeedCombination> combinations = {
            {QStringLiteral("RSA_SAE_discriminative"), true,
             SelectionMethod::SeedTemporalDiscriminativeRsa,
             SelectionMethod::TemporalDiscriminativeRsa},
            {QStringLiteral("RSA_SAE_categorical"), true,
             SelectionMethod::SeedTemporalCategoricalRsa, SelectionMethod::TemporalCategoricalRsa},
            {QStringLiteral("RSA_raw_discriminative"), false,
             SelectionMethod::SeedTemporalDiscriminativeRsa,
             SelectionMethod::TemporalDiscriminativeRsa},
            {QStringLiteral("RSA_raw_categorical"), false,
             SelectionMethod::SeedTemporalCategoricalRsa, SelectionMethod::TemporalCategoricalRsa},
            {QStringLiteral("raw_SAE"), true, SelectionMethod::SeedMaxActivation,
             SelectionMethod::MeanDifference},
            {QStringLiteral("raw_raw"), false, SelectionMethod::SeedMaxActivation,
             SelectionMethod::MeanDifference},
    };
    return combinations;
}

QJsonObject claimTestJson(const ClaimTest &test)
{
    const PairedDifference &d = test.difference;
    return QJsonObject{{QStringLiteral("claim"), test.claim},
                       {QStringLiteral("a"), test.a},
                       {QStringLiteral("b"), test.b},
                       {QStringLiteral("difference"), d.difference},
                       {QStringLiteral("ci"), QJsonArray{d.low, d.high}},
                       {QStringLiteral("p"), d.p},
                       {QStringLiteral("p_holm"), test.holmP},
                       {QStringLiteral("primary"), test.primary},
                       {QStringLiteral("items_better_a"), d.itemsBetterA},
                       {QStringLiteral("items_better_b"), d.itemsBetterB}};
}

const ComparisonRow *findRow(const std::vector<ComparisonRow> &rows, const QString &representation,
                             SelectionMethod method, const QString &version)
{
    for (const ComparisonRow &row : rows) {
        if (row.representation == representation && row.score.method == method &&
            row.version == version) {
            return &row;
        }
    }
    return nullptr;
}

}  // namespace gyrus::gpu
