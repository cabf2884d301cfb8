#pragma once
// One vector per prompt-set item, read from a hook (raw) or from SAE features there, pooled over
// the item's tokens. Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "core/prompts/prompt_set.h"
#include "gpu/analysis/temporal_rsa.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class HookSet;
class SaeModule;
}  // namespace detail

struct RepresentationOptions
{
    QString hookName;
    Pooling pooling = Pooling::Mean;
    int window = 0;  ///< TargetWindow: ± tokens around the target; legacy windows: D; Window: T
    WindowAlignment alignment = WindowAlignment::Left;  ///< Window only
    /// Features instead of raw activations; null for the raw hook dimensions.
    std::shared_ptr<const detail::SaeModule> sae;
    /// Hooks that run during the forward pass, e.g. a clamp-set splice (RDM under intervention);
    /// the representation is read after them. Null: the model as it is. Never cached.
    const detail::HookSet *interventions = nullptr;
};

struct PromptRepresentations
{
    FloatMatrix values;  ///< [kept items, d_model or d_sae]
    QList<int> items;    ///< index into PromptSet::items of each row
    QStringList notes;   ///< items dropped and why (legacy centred window)
    /// Pooling::Window: [items, window, features] with the mask of real tokens (positions past
    /// an item's end are padding, never part of its pattern); Pooling::LegacyLeftFirst: the D
    /// rows, padding included and masked in. Empty otherwise.
    TemporalTable patterns;
};

/// Runs every item of `set` through `model` (batched) and pools as `options` says. Errors name
/// the item: an empty text, a TargetWindow item without a target that matches its text.
Result<PromptRepresentations> promptRepresentations(const LanguageModel &model,
                                                    const PromptSet &set,
                                                    const RepresentationOptions &options);

}  // namespace gyrus::gpu
