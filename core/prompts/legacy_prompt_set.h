#pragma once

#include "core/prompts/prompt_set.h"
#include "core/prompts/prompt_set_validation.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace gyrus {

/// The conditions of a legacy (seed) prompt-set file, in file order: label -> sentences.
using LegacyConditions = QList<QPair<QString, QStringList>>;

/// The design read off the labels of a legacy file.
struct LegacyDesign
{
    QList<PromptFactor> factors;
    /// For each label (same order as the input), its level of every factor.
    QList<QMap<QString, QString>> levels;
    /// What the reader should know about how the design was inferred (a fallback, an ambiguity).
    QStringList notes;
};

/// Infers the factors from the condition labels of a legacy file (seed_pipeline.md §3):
/// - 4 labels named `<levelA>_<levelB>`: a 2×2 design, found by splitting every label at one of its
///   underscores so that the four labels are exactly {a1,a2}×{b1,b2}. Levels may contain
///   underscores ("not_golden_gate_fictional"). When several splits work, the one that splits
///   furthest right wins (so the second factor's levels are single words, as in every seed file),
///   and a note says so. The factors are called "factor_a" and "factor_b": the format records no
///   names, and a guess from the file name is wrong as often as right.
/// - any other count, or 4 labels with no consistent split: one factor whose levels are the labels,
///   named after the file (`defaultFactorName`), with a note for the 4-label fallback.
LegacyDesign inferLegacyDesign(const QStringList &labels, const QString &defaultFactorName);

/// The factor name a one-factor legacy file gets from its file name: the stem without a leading
/// "unifactorial"/"bifactorial" word, '-' turned into '_' ("unifactorial-premise-truth.json" ->
/// "premise_truth"). "condition" when nothing is left.
QString legacyFactorName(const QString &fileName);

/// Builds the prompt set of a legacy file: factors from inferLegacyDesign(), items in file order
/// with ids `<label>_<index>` (0-based within the label). Pairs stay empty: index-matched lists
/// are often minimal pairs, but the seed recorded nothing, and guessing would silently pair
/// unrelated sentences in the sets that are not. `notes` receives the design notes as warnings.
PromptSet promptSetFromLegacy(const LegacyConditions &conditions, const QString &sourceFile,
                              QList<PromptIssue> *notes = nullptr);

}  // namespace gyrus
