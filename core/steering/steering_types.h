#pragma once
// Requests and results of the steering dock (click-to-clamp): baseline and steered
// generation from the same prompt and seed, the next-token distribution before/after a clamp set,
// a strength sweep over one clamped feature, and the range a feature takes on a prompt. Plain
// data; the engine computes them with the SAE splice of gpu/sae/steering/clamp_splice.h.

#include "core/engine/engine_types.h"
#include "core/steering/clamp_set.h"
#include "core/steering/interventions.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace gyrus {

/// Baseline (no clamp) and steered (the clamp set applied) generation of one prompt with the same
/// sampling settings and seed.
struct SteeringRequest
{
    QString prompt;
    ClampSet clamps;
    GenerateOptions options;  ///< the same for both continuations
    /// Head ablations and steering vectors beside the clamps (last: callers list the fields
    /// above in order).
    Interventions interventions;
};

/// Which of the two generations a streamed token belongs to.
enum class SteeringStream
{
    Baseline,
    Steered,
};

/// Both continuations, whole (the streamed pieces may hold back a partial character).
struct SteeringOutcome
{
    QString baselineText;
    QString steeredText;
    QList<int> baselineTokens;
    QList<int> steeredTokens;
    /// True when the baseline was not generated again: the prompt, sampling settings, seed and
    /// model were those of the previous run, whose baseline was reused.
    bool baselineReused = false;
};

/// The distribution of the token after the prompt, without and with the clamp set.
struct NextTokenRequest
{
    QString prompt;
    ClampSet clamps;
    int topTokens = 10;  ///< the union of the top tokens before and after is reported
    Interventions interventions;
};

struct TokenShift
{
    int id = 0;
    QString piece;  ///< display piece ("▁" shown as a space)
    double probabilityBefore = 0.0;
    double probabilityAfter = 0.0;
};

struct NextTokenShift
{
    QList<TokenShift> tokens;  ///< sorted by probabilityBefore, descending
    double kl = 0.0;           ///< KL(p_baseline ‖ p_steered) in nats
    int promptTokens = 0;      ///< BOS included
};

/// A grid of values for one feature's clamp; every other clamp of `clamps` stays as it is.
struct StrengthSweepRequest
{
    QString prompt;
    ClampSet clamps;
    FeatureClamp swept;  ///< its value is replaced by each of `values`
    QList<double> values;
    QString targetToken;  ///< text whose first token is tracked; empty: the baseline's top token
};

struct StrengthSweepPoint
{
    double value = 0.0;
    double logProbability = 0.0;  ///< log p(target) after the prompt, with the clamp at `value`
    double kl = 0.0;              ///< KL(p_baseline ‖ p_value)
};

struct StrengthSweepResult
{
    int targetId = 0;
    QString targetPiece;
    double baselineLogProbability = 0.0;
    QList<StrengthSweepPoint> points;
};

/// How far features range on a prompt (BOS excluded): what the clamp value slider marks.
struct FeatureRangeRequest
{
    QString prompt;
    QList<int> features;
};

struct FeatureRange
{
    int feature = -1;
    double minimum = 0.0;
    double maximum = 0.0;
    double last = 0.0;  ///< at the prompt's last token (what the next token sees)
};

struct FeatureRanges
{
    QList<FeatureRange> ranges;  ///< in the order asked for
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::SteeringStream)
Q_DECLARE_METATYPE(gyrus::SteeringOutcome)
Q_DECLARE_METATYPE(gyrus::NextTokenShift)
Q_DECLARE_METATYPE(gyrus::StrengthSweepPoint)
Q_DECLARE_METATYPE(gyrus::StrengthSweepResult)
Q_DECLARE_METATYPE(gyrus::FeatureRanges)
