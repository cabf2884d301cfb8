#pragma once
// Finding SAE features by what is known about them: a label or note the user wrote, a word in
// the contexts of their top corpus-scan examples or among the tokens their decoder boosts, "fires
// on this token in this text", or decoder similarity to a concept vector. Each criterion ranks on
// its own scale (the hit's score says which); several criteria given together keep the features
// that meet all of them, ranked by the last one that scores. The Features dock's search box and
// `gyrus-cli search-features` call it. Torch-free.

#include "core/base/status.h"
#include "core/features/feature_search_types.h"

#include <QMap>
#include <QString>

#include <vector>

namespace gyrus::gpu {

class LanguageModel;
struct CorpusScan;

namespace detail {
class SaeModule;
}

using gyrus::FeatureNote;
using gyrus::FeatureSearchHit;
using gyrus::FeatureSearchQuery;

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
