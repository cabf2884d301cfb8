#pragma once
// Private to gyrus_gpu (and tests/gpu). The clamp-set splice of gpu/sae/steering/clamp_splice.h as
// a HookSet callback. Reuse: anything that runs the model with a clamp set (steered generation,
// next-token shifts, prompt representations under intervention) calls addClampSplice() on the
// HookSet it passes to Transformer::forward / generateTokens:
//
//   detail::HookSet hooks;
//   if (Status s = detail::addClampSplice(hooks, hookLayout(config), sae, clamps, scope);
//   !s.isOk()) ... network.forward(tokens, hooks.empty() ? nullptr : &hooks, ...);
//
// Captures added to the same HookSet at the SAE's hook after the splice see the edited
// activations. Batches: right padding is edited like any position; ignore its outputs.

#include "core/base/status.h"
#include "core/steering/clamp_set.h"
#include "gpu/model/hook_set.h"
#include "gpu/sae/steering/clamp_splice.h"

#include <memory>

namespace gyrus::gpu::detail {

class SaeModule;

/// The replace-hook for `set` (enabled clamps only). Returns an undefined tensor (no change) on a
/// call where no clamp applies to any of its positions. The SAE is shared, not copied.
HookFn clampSpliceHook(std::shared_ptr<const SaeModule> sae, const ClampSet &set,
                       const ClampScope &scope);

/// Adds clampSpliceHook() at the SAE's hook (its cfg hook_name) to `hooks`. Adds nothing when the
/// set has no enabled clamp, so an empty set leaves the forward untouched (bit-identical). Errors:
/// no SAE for a non-empty set, a hook the model lacks, a feature outside the SAE.
Status addClampSplice(HookSet &hooks, const HookLayout &layout,
                      const std::shared_ptr<const SaeModule> &sae, const ClampSet &set,
                      const ClampScope &scope = {});

}  // namespace gyrus::gpu::detail
