#pragma once
// Concept vectors from a designed prompt set: the mean representation of condition A's items
// minus condition B's at one hook and pooling (a steering vector in the model's units), and, with
// an SAE, the features whose decoder directions it is made of (cosine with each decoder row).
// This closes the loop design stimuli → find the concept → intervene on it. The engine and
// `gyrus-cli concept-vector` call it. Torch-free.

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"
#include "gpu/analysis/prompt_representation.h"

#include <QList>
#include <QString>

#include <memory>
#include <vector>

namespace gyrus::gpu {

class LanguageModel;

/// The items one side of the contrast takes: a condition label ("present_singular") or one
/// factor's level ("tense=present", over every level of the other factors).
Result<QList<int>> itemsOfSide(const PromptSet &set, const QString &side);

struct ConceptFeature
{
    int feature = 0;
    float cosine = 0.0f;  ///< of the concept vector with the feature's decoder row
};

struct ConceptVector
{
    QString hook;
    QString sideA;
    QString sideB;
    int itemsA = 0;
    int itemsB = 0;
    std::vector<float> direction;  ///< mean(A) − mean(B), d_model
    double norm = 0.0;
    /// With an SAE: the features with the largest |cosine|, largest first.
    std::vector<ConceptFeature> features;
};

struct ConceptVectorOptions
{
    QString hookName;
    Pooling pooling = Pooling::Mean;
    int window = 0;
    QString sideA;
    QString sideB;
    /// Lists the features it is made of (its hook must be hookName); may be null.
    std::shared_ptr<const detail::SaeModule> sae;
    int topFeatures = 20;
};

/// The concept vector of `set`'s contrast A − B. Errors: an unknown condition or level, a side
/// without items (after pooling drops some), an SAE at another hook.
Result<ConceptVector> conceptVector(const LanguageModel &model, const PromptSet &set,
                                    const ConceptVectorOptions &options);

/// Mean over `rows` of `values` (the rows' indices into values) minus mean over `others`, in
/// double: the arithmetic conceptVector() uses, for callers that already have representations.
std::vector<float> meanDifference(const FloatMatrix &values, const QList<int> &rows,
                                  const QList<int> &others);

}  // namespace gyrus::gpu
