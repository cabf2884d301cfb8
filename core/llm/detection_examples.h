#pragma once
// The examples and the record of a detection score (core/llm/scoring.h), shared by
// `gyrus-cli score detection` and the Features dock so both judge the same mix and report the
// same numbers.
//
// Activating: the feature's top examples, then its quantile (bin) examples at tokens not shown
// yet. Non-activating: as many examples again, drawn with the seed from other features' top
// examples at tokens where this feature showed none (one per token). Other features are taken
// in feature order before the seeded shuffle, so the same features and seed give the same mix
// however they were gathered.

#include "core/features/feature_inspector_types.h"
#include "core/llm/scoring.h"

#include <QDateTime>
#include <QJsonObject>

namespace gyrus {

/// InvalidInput when `target` has no activating examples.
Result<QList<DetectionExample>> detectionExamples(const FeatureDetails &target,
                                                  const QList<FeatureDetails> &others, qint64 seed);

/// Distinct tokens other features offer as non-activating examples of `target`.
int nonActivatingCandidates(const FeatureDetails &target, const QList<FeatureDetails> &others);

/// Activating examples detectionExamples() would use.
int activatingExamples(const FeatureDetails &target);

/// What was scored, by whom, how, and the result: the JSON `gyrus-cli score detection` prints
/// and the workspace keeps beside the label ("scored_utc" only when `scoredUtc` is valid).
QJsonObject detectionScoreJson(int feature, const QString &label, const QString &judge,
                               const JudgeOptions &options, const DetectionResult &result,
                               const QDateTime &scoredUtc = {});

}  // namespace gyrus
