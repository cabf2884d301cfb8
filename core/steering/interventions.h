#pragma once
// Interventions beside SAE clamps that the steering dock and `gyrus-cli generate` can run:
// ablating attention heads (their output before the output projection set to zero, or to its
// mean over the prompt) and adding a steering vector (a concept vector from a prompt set's
// contrast) to the residual stream with a strength α. Plain data, torch-free; the engine turns
// them into hooks (gpu/sae/steering/intervention_hooks.h).

#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "core/prompts/prompt_set.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace gyrus {

enum class HeadAblationMode
{
    Zero,  ///< the head's output z (before W_O) is 0 at every edited position
    Mean,  ///< z is its mean over the prompt's editable positions (BOS excluded)
};

QString headAblationModeName(HeadAblationMode mode);  ///< "zero", "mean"

struct HeadAblation
{
    int layer = 0;
    int head = 0;
    HeadAblationMode mode = HeadAblationMode::Zero;

    friend bool operator==(const HeadAblation &a, const HeadAblation &b)
    {
        return a.layer == b.layer && a.head == b.head && a.mode == b.mode;
    }
};

/// Parses "LAYER.HEAD" or "LAYER.HEAD=zero|mean" (zero by default); std::nullopt otherwise.
std::optional<HeadAblation> parseHeadAblation(const QString &text);

/// A concept vector the engine computes before it steers: the mean representation of side A's
/// items minus side B's (a condition label or factor=level) at the vector's hook, pooled as
/// `pooling` names it (gpu/analysis/concept_vector.h; `gyrus-cli concept-vector` prints the same).
struct ConceptSource
{
    PromptSet set;
    QString sideA;
    QString sideB;
    Pooling pooling = Pooling::LastToken;  ///< one vector per item: not Pooling::Window

    friend bool operator==(const ConceptSource &a, const ConceptSource &b)
    {
        return a.set == b.set && a.sideA == b.sideA && a.sideB == b.sideB && a.pooling == b.pooling;
    }
};

/// The sides a contrast of `set` can take, as the views offer them: its condition labels and,
/// with more than one factor, every factor=level (with one factor the conditions are its levels).
QStringList contrastSides(const PromptSet &set);

/// α · direction added to the residual stream at `hook` at every edited position.
struct SteeringVector
{
    QString hook;
    QString label;  ///< what it is ("tense=present − tense=past"), for display
    std::vector<float> direction;
    double alpha = 1.0;
    /// With no direction yet: where the engine takes it from.
    std::optional<ConceptSource> concept;

    friend bool operator==(const SteeringVector &a, const SteeringVector &b)
    {
        return a.hook == b.hook && a.label == b.label && a.direction == b.direction &&
               a.alpha == b.alpha && a.concept == b.concept;
    }
};

/// Reads `gyrus-cli concept-vector`'s JSON ("hook", "vector", "a", "b") as a steering vector with
/// strength `alpha`. Errors name `origin` and the field.
Result<SteeringVector> steeringVectorFromJson(const QByteArray &json, const QString &origin,
                                              double alpha);

/// The interventions of one run, applied together with the clamp set.
struct Interventions
{
    QList<HeadAblation> heads;
    QList<SteeringVector> vectors;

    bool isEmpty() const { return heads.isEmpty() && vectors.isEmpty(); }

    friend bool operator==(const Interventions &a, const Interventions &b)
    {
        return a.heads == b.heads && a.vectors == b.vectors;
    }

    friend bool operator!=(const Interventions &a, const Interventions &b) { return !(a == b); }
};

}  // namespace gyrus
