#pragma once
// The activation store's cache: a text corpus streamed through a model to one hook point and
// written to HDF5 (ARCHITECTURE.md §5) for SAE training. Torch-free.

#include "core/status.h"

#include <QString>

#include <functional>

namespace gyrus::gpu {

class LanguageModel;

struct ActivationCacheOptions
{
    QString corpusPath;       ///< plain text, one sentence or paragraph per line
    QString hookName;         ///< e.g. "blocks.2.hook_resid_post"
    int contextLength = 128;  ///< longer lines are cut into windows of this many tokens
    qint64 tokenBudget = 0;   ///< activations to keep (0: the whole corpus)
    int batchSequences = 16;  ///< windows per forward pass
    QString outPath;          ///< the HDF5 file (replaced)
};

struct ActivationCacheResult
{
    qint64 rows = 0;  ///< activations written
    int columns = 0;  ///< d_model
    qint64 documents = 0;
    /// s with E‖s·x‖ = √d over the cached rows (sae_sota.md §1.1); stored as the attribute
    /// normalisation_scale. The trainer estimates and folds its own; this records the data's.
    double normalisationScale = 1.0;
};

/// Writes /activations float32 [N, d] (chunked), /tokens, /doc_index (the corpus line) and
/// /position (token index within the window) int32 [N], with root attributes model, hook_name,
/// dtype, context_length, corpus and normalisation_scale. BOS positions are not kept (their
/// activations are a constant the SAE would waste latents on) and nothing is padded.
/// `progress(fraction)` may return false to cancel. Errors name the file.
Result<ActivationCacheResult> cacheActivations(const LanguageModel &model,
                                               const ActivationCacheOptions &options,
                                               const std::function<bool(double)> &progress = {});

}  // namespace gyrus::gpu
