#pragma once
// Finding SAE features by what is known about them: a label or note the user wrote, a word in
// the contexts of their top corpus-scan examples or among the tokens their decoder boosts, "fires
// on this token in this text", or decoder similarity to a concept vector. Each criterion ranks on
// its own scale (the hit's score says which); several criteria given together keep the features
// that meet all of them, ranked by the last one that scores. The Features dock's search box and
// `gyrus-cli search-features` call it. Torch-free.

#include "core/status.h"

#include <QMap>
#include <QString>

#include <vector>

namespace gyrus::gpu {

class LanguageModel;
struct CorpusScan;

namespace detail {
class SaeModule;
}

/// What the user knows of a feature (SelectionHub's annotations).
struct FeatureNote
{
    QString label;
    QString notes;
};

/// What is searched; an empty field is not a criterion.
struct FeatureSearchQuery
{
    /// Case-insensitive text in the feature's label or notes.
    QString label;
    /// Case-insensitive text in the context (± contextRadius tokens) of a top scan example.
    QString exampleText;
    int contextRadius = 8;
    /// A token among those the feature's decoder boosts most (its text, spaces trimmed,
    /// case-insensitive).
    QString boostedToken;
    /// Features active at token `firesAt` (-1: the last) of this text, ranked by activation.
    QString firesOnText;
    int firesAt = -1;
    /// Features ranked by the cosine of their decoder row with this vector (d_model).
    std::vector<float> concept;
    int limit = 20;  ///< hits returned, best first
};

struct FeatureSearchHit
{
    int feature = 0;
    double score = 0.0;   ///< activation, cosine, or the number of matching examples/notes
    QString match;        ///< what matched ("label", an example's context, the boosted token)
    double density = -1;  ///< from the scan; -1 without one
    QString label;        ///< the feature's label, if it has one
};

/// What a search may look at; each criterion needs its source (a missing one is an error
/// naming it): label → notes, exampleText/boostedToken → scan (and the model, to decode the
/// examples), firesOnText → model and sae, concept → sae.
struct FeatureSearchSources
{
    const LanguageModel *model = nullptr;
    const detail::SaeModule *sae = nullptr;
    const CorpusScan *scan = nullptr;
    QMap<int, FeatureNote> notes;
};

Result<std::vector<FeatureSearchHit>> searchFeatures(const FeatureSearchSources &sources,
                                                     const FeatureSearchQuery &query);

}  // namespace gyrus::gpu
