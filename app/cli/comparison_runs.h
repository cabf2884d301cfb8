#pragma once
// compare-methods and replicate on the command line: a comparison run on a feature table with
// its rows (gpu/analysis/method_claims.h), and progress lines on stderr.

#include "app/cli/feature_table.h"
#include "gpu/analysis/method_claims.h"

#include <functional>

namespace gyrus::cli {

using gpu::ClaimTest;
using gpu::ComparisonRow;
using gpu::kSeedWindow;
using gpu::SeedCombination;
using gpu::seedCombinations;

/// Runs `methods` on `table` (its aligned windows when it has them) and returns one row each.
/// `progress` hears (splits done, total) and returns false to cancel.
Result<std::vector<ComparisonRow>> runComparison(const FeatureTable &table,
                                                 const QString &representation,
                                                 const QString &version,
                                                 const std::vector<SelectionMethod> &methods,
                                                 const gpu::ComparisonOptions &options,
                                                 const std::function<bool(int, int)> &progress);

/// Progress on stderr, at most about once a second: the stage, the splits done and an ETA.
std::function<bool(int, int)> stderrProgress(const QString &command, const QString &stage);

}  // namespace gyrus::cli
