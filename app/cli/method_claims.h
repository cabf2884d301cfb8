#pragma once
// What compare-methods and replicate share: running a method comparison on a feature table
// (aligned windows when it has them), its rows as JSON, the original project's six
// combinations (seed_pipeline.md §8.1) and the paired differences that make its three claims
// testable.

#include "app/cli/feature_table.h"
#include "gpu/analysis/method_comparison.h"
#include "gpu/analysis/paired_comparison.h"

#include <QJsonObject>
#include <QString>

#include <functional>
#include <vector>

namespace gyrus::cli {

struct ComparisonRow
{
    QString representation;  ///< "raw" or "sae"
    QString version;         ///< "corrected" or "seed" (the original project's formulas)
    QString combination;     ///< the original project's name for it, when it has one
    gpu::MethodScore score;
    /// The k features the method picks on every item (what the seed reported as its selection;
    /// the comparison itself selects inside each training fold).
    std::vector<int64_t> selectedOnAllItems;
};

/// Runs `methods` on `table` (its aligned windows when it has them) and returns one row each.
/// `progress` hears (splits done, total) and returns false to cancel.
Result<std::vector<ComparisonRow>> runComparison(const FeatureTable &table,
                                                 const QString &representation,
                                                 const QString &version,
                                                 const std::vector<gpu::SelectionMethod> &methods,
                                                 const gpu::ComparisonOptions &options,
                                                 const std::function<bool(int, int)> &progress);

QJsonObject comparisonRowJson(const ComparisonRow &row);

/// The original project's six combinations {RSA-discriminative, RSA-categorical,
/// max-activation} × {SAE, raw}: their names, the seed's formula and the corrected one.
struct SeedCombination
{
    QString name;  ///< e.g. "RSA_SAE_discriminative"
    bool sae = false;
    gpu::SelectionMethod seedMethod;
    gpu::SelectionMethod correctedMethod;
};

const std::vector<SeedCombination> &seedCombinations();

/// The seed's window: left-first, D = 50 positions, zero-padded (seed_pipeline.md §4.2, §8.2).
constexpr int kSeedWindow = 50;

/// One paired difference between two rows, as JSON (difference, CI, p, items better each way).
struct ClaimTest
{
    QString claim;  ///< what it tests, in words
    QString a;      ///< "representation/method" of the minuend
    QString b;
    gpu::PairedDifference difference;
    double holmP = 1;  ///< adjusted over the family it was tested in
    bool primary = false;
};

QJsonObject claimTestJson(const ClaimTest &test);

/// The row of `representation`/`method`/`version` in `rows`, or null.
const ComparisonRow *findRow(const std::vector<ComparisonRow> &rows, const QString &representation,
                             gpu::SelectionMethod method, const QString &version);

/// Progress on stderr, at most about once a second: the stage, the splits done and an ETA.
std::function<bool(int, int)> stderrProgress(const QString &command, const QString &stage);

}  // namespace gyrus::cli
