#pragma once
// Prompt representations cached on disk per (model, hook, SAE, prompt set, pooling), so that
// re-running an analysis on the same stimuli does not run the model again. Torch-free.

#include "gpu/analysis/prompt_representation.h"

#include <QString>

namespace gyrus::gpu {

struct CacheKeyInputs
{
    QString modelDirectory;
    QString saeDirectory;  ///< empty for raw activations
    /// Identifies the code that computed the values (the executable's path and build time, say),
    /// so a rebuilt Gyrus never reads what an older one cached.
    QString buildIdentity;
};

/// promptRepresentations() through a cache in `cacheDirectory` (created if needed). The key is a
/// SHA-256 over the model's config.json and weight files' sizes and modification times, the SAE's
/// cfg.json and weights likewise, the hook, the pooling and window, the prompt set's content (its
/// Gyrus-schema JSON) and the Gyrus version: any change there misses. `*hit` (may be null) says
/// whether the result came from the cache. A cache that cannot be read or written is ignored.
Result<PromptRepresentations> cachedPromptRepresentations(
        const LanguageModel &model, const PromptSet &set, const RepresentationOptions &options,
        const CacheKeyInputs &keyInputs, const QString &cacheDirectory, bool *hit = nullptr);

}  // namespace gyrus::gpu
