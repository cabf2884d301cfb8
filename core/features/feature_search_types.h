#pragma once
// Finding SAE features by what is known about them (gpu/analysis/feature_search.h): the query,
// the hits, and what the Features dock's search box asks the engine. Plain data, torch-free.

#include "core/steering/interventions.h"

#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>

#include <optional>
#include <vector>

namespace gyrus {

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

/// The Features dock's search: `query` over the loaded SAE, its corpus scan and `notes`; with
/// `concept`, the engine first computes that contrast's concept vector at the SAE's hook and
/// ranks by decoder cosine with it (query.concept is then ignored).
struct FeatureSearchRequest
{
    FeatureSearchQuery query;
    QMap<int, FeatureNote> notes;
    std::optional<ConceptSource> concept;
};

struct FeatureSearchResult
{
    QList<FeatureSearchHit> hits;  ///< best first
    QString conceptLabel;          ///< "A − B" when a concept vector was searched by
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::FeatureSearchResult)
