#pragma once
// "Steer by the concept vector or by its top contrast features?" as a sweep over a strength α:
// the open prompt set's contrast A − B at the SAE's hook, added to the residual stream as one
// vector (α · v), against the k features whose mean activation differs most between the sides,
// each added along its decoder row by α times that difference (α · Σ Δ_f · W_dec[f], the
// feature part of the same concept). Both are read as the next-token distribution after one
// prompt. Plain data, shared by the engine, the Steering dock and `gyrus-cli concept-sweep`.

#include "core/steering/interventions.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace gyrus {

struct ConceptSweepRequest
{
    QString prompt;         ///< the text whose next token is read
    ConceptSource concept;  ///< the set and its sides A and B (pooling: how items are pooled)
    int topFeatures = 8;    ///< k contrast features
    QList<double> alphas;   ///< the strengths, in order
    QString targetToken;    ///< text whose first token is tracked; empty: the baseline's top
};

/// One contrast feature: its mean activation on side A minus side B (pooled as the vector).
struct ConceptSweepFeature
{
    int feature = 0;
    double difference = 0.0;
};

struct ConceptSweepPoint
{
    double alpha = 0.0;
    double conceptLogProbability = 0.0;   ///< log p(target) with α · v added
    double conceptKl = 0.0;               ///< KL(baseline ‖ that)
    double featuresLogProbability = 0.0;  ///< log p(target) with the k features added
    double featuresKl = 0.0;
};

struct ConceptSweepResult
{
    QString hook;
    QString sideA;
    QString sideB;
    int itemsA = 0;
    int itemsB = 0;
    double conceptNorm = 0.0;             ///< |v|
    double featuresNorm = 0.0;            ///< |Σ Δ_f · W_dec[f]| over the k features
    double cosine = 0.0;                  ///< between v and that feature vector
    QList<ConceptSweepFeature> features;  ///< largest |difference| first
    int targetId = 0;
    QString targetPiece;
    double baselineLogProbability = 0.0;
    QList<ConceptSweepPoint> points;  ///< one per α, in the request's order
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::ConceptSweepResult)
