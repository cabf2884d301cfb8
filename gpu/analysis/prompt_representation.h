#pragma once
// One vector per prompt-set item, read from a hook (raw) or from SAE features there, pooled over
// the item's tokens (issue 6 item 2). Torch-free.

#include "core/float_matrix.h"
#include "core/prompt_set.h"
#include "core/status.h"
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

/// How the tokens of an item become one vector. Positions count with BOS at 0.
enum class Pooling
{
    LastToken,     ///< the last token
    Mean,          ///< the mean over the item's tokens, BOS excluded (nothing padded)
    TargetWindow,  ///< the mean over the tokens overlapping the item's target, ± window tokens
    /// The original project's centred window (seed_pipeline.md §4.1): r tokens without BOS,
    /// m = r/2 + 1, positions [m − D, m + D]; items with m − D < 0 or m + D ≥ length are dropped.
    /// Kept for comparison with the seed's numbers; flagged legacy.
    LegacyCentred,
    /// The original project's left-first window (§4.2): positions [1, min(1 + D, length)),
    /// zero-padded in residual space to D rows (SAE features are computed on the padding too, as
    /// the seed did), then averaged over D rows. Reproduces the seed's defect on purpose; legacy.
    /// `patterns` holds the D rows of every item, all masked in (the seed's temporal RSA input).
    LegacyLeftFirst,
    /// No pooling: each item's aligned window of `window` positions (PromptRepresentations::
    /// patterns), padding masked out; `values` holds each item's mean over its real positions.
    Window,
};

/// Where an item's window starts (Pooling::Window).
enum class WindowAlignment
{
    Left,    ///< at the first token after BOS: positions [1, 1 + window)
    Target,  ///< at the first token of the item's target: positions [first, first + window)
};

/// "left", "target".
QString windowAlignmentName(WindowAlignment alignment);
std::optional<WindowAlignment> windowAlignmentFromName(const QString &name);

/// "last", "mean", "target", "legacy-centred", "legacy-left-first", "window".
QString poolingName(Pooling pooling);
std::optional<Pooling> poolingFromName(const QString &name);

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
