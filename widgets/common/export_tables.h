#pragma once
// The data behind views that are not tables themselves, as tables for export (CSV, HDF5 through
// core/base/table_export.h; numbers in Qt::DisplayRole at full precision).

#include <QList>

#include <memory>
#include <vector>

class QCustomPlot;
class QStandardItemModel;

namespace gyrus {
struct AblationCheck;
struct AttributionOutcome;
struct FeatureDetails;
struct MethodJudgement;
struct LogitLensOutcome;
struct TokenAnalysis;
}  // namespace gyrus

namespace gyrus::widgets {

/// The token heatmap's data in long form: one row per active feature at every token of every
/// analysed text (text, position, token_id, token, bos, feature, activation).
std::unique_ptr<QStandardItemModel> tokenActivationTable(const TokenAnalysis &analysis);

/// A feature's examples: its top ones, then those drawn from each histogram bin (feature, set,
/// bin_low, activation, token_index, before, token, after).
std::unique_ptr<QStandardItemModel> examplesTable(const FeatureDetails &details);

/// The tokens a feature's decoder direction boosts and suppresses (feature, effect, token_id,
/// token, logit).
std::unique_ptr<QStandardItemModel> logitTable(const FeatureDetails &details);

/// An attribution in long form: every active feature at every position (node "feature"), then
/// the SAE's error and decoder bias and the total (gradient × input) per position (nodes
/// "error", "bias", "total"); columns node, position, token_id, token, feature, activation,
/// gradient, attribution, estimated_change, actual_change (the last two from `checks`, NaN for
/// features not ablated).
std::unique_ptr<QStandardItemModel> attributionTable(const AttributionOutcome &outcome,
                                                     const std::vector<AblationCheck> &checks);

/// The logit lens in long form: a row per (layer row, position, rank) of the top tokens (hook,
/// position, token, rank, top_token_id, top_token, probability, next_probability, next_rank).
std::unique_ptr<QStandardItemModel> logitLensTable(const LogitLensOutcome &outcome);

/// The curves of `plots` as one table: a row per step any curve has, a column per curve named by
/// its legend name (NaN where a curve has no point at that step).
std::unique_ptr<QStandardItemModel> curvesTable(const QList<QCustomPlot *> &plots);

/// The LLM-judged method comparison: one row per representation × method, then the random
/// baseline (representation, method, mean_rating, ci_low, ci_high, rated_texts, u_vs_random,
/// p_vs_random, features); Kruskal-Wallis H and p are on every row (kruskal_wallis_h, _p).
std::unique_ptr<QStandardItemModel> judgedMethodsTable(const MethodJudgement &judgement);

/// Every rated line of it in long form (representation, method, rank, line, mean_rating, text);
/// the baseline's rows have representation "random".
std::unique_ptr<QStandardItemModel> judgedTextsTable(const MethodJudgement &judgement);

}  // namespace gyrus::widgets
