#include "app/cli/method_claims.h"

#include "gpu/analysis/feature_set_rsa.h"

#include <QElapsedTimer>
#include <QJsonArray>

#include <cstdio>
#include <memory>

namespace gyrus::cli {

Result<std::vector<ComparisonRow>> runComparison(const FeatureTable &table,
                                                 const QString &representation,
                                                 const QString &version,
                                                 const std::vector<gpu::SelectionMethod> &methods,
                                                 const gpu::ComparisonOptions &options,
                                                 const std::function<bool(int, int)> &progress)
{
    const bool windows = table.windows.items > 0;
    Result<std::vector<gpu::MethodScore>> scores =
            windows ? gpu::compareSelectionMethods(table.windows, table.labels, methods, options,
                                                   progress)
                    : gpu::compareSelectionMethods(table.x, table.labels, methods, options,
                                                   progress);
    if (!scores) {
        return scores.status();
    }
    std::vector<ComparisonRow> rows;
    for (const gpu::MethodScore &score : scores.value()) {
        ComparisonRow row;
        row.representation = representation;
        row.version = version;
        row.score = score;
        if (score.method == gpu::SelectionMethod::FeatureSetRsa) {
            Result<gpu::FeatureSetSelection> set =
                    gpu::featureSetRsaSelection(table.x, table.labels, options.k);
            if (!set) {
                return set.status();
            }
            row.selectedOnAllItems = set->features;
        } else {
            Result<std::vector<double>> all =
                    windows ? gpu::featureScores(table.windows, table.labels, score.method)
                            : gpu::featureScores(table.x, table.labels, score.method);
            if (!all) {
                return all.status();
            }
            row.selectedOnAllItems = gpu::topFeatures(all.value(), options.k);
        }
        for (const SeedCombination &combination : seedCombinations()) {
            const bool sae = representation == QLatin1String("sae");
            const gpu::SelectionMethod method = version == QLatin1String("seed")
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
    const gpu::MethodScore &score = row.score;
    QJsonArray selected;
    for (int64_t feature : row.selectedOnAllItems) {
        selected.append(qint64(feature));
    }
    QJsonObject json{{QStringLiteral("representation"), row.representation},
                     {QStringLiteral("method"), gpu::selectionMethodName(score.method)},
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
    using gpu::SelectionMethod;
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
    const gpu::PairedDifference &d = test.difference;
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
                             gpu::SelectionMethod method, const QString &version)
{
    for (const ComparisonRow &row : rows) {
        if (row.representation == representation && row.score.method == method &&
            row.version == version) {
            return &row;
        }
    }
    return nullptr;
}

std::function<bool(int, int)> stderrProgress(const QString &command, const QString &stage)
{
    auto clock = std::make_shared<QElapsedTimer>();
    auto sinceLine = std::make_shared<QElapsedTimer>();
    clock->start();
    sinceLine->start();
    return [=](int done, int total) {
        if (done < total && sinceLine->elapsed() < 1000) {
            return true;
        }
        sinceLine->restart();
        const double eta = double(clock->elapsed()) / 1000.0 / std::max(1, done) * (total - done);
        std::fprintf(stderr, "%s: %s: %d / %d splits, ETA %.0f s\n", qPrintable(command),
                     qPrintable(stage), done, total, eta);
        return true;
    };
}

}  // namespace gyrus::cli
