#pragma once
// Private to gyrus_gpu (and tests). Head ablations and steering vectors
// (core/steering/interventions.h) as HookSet callbacks, added beside the clamp splice by everything
// that steers (generation, the next-token distribution):
//
//   detail::HookSet hooks;
//   addClampSplice(hooks, ...);
//   if (Status s = detail::addInterventions(hooks, net, interventions, promptTokens, scope);
//   !s.isOk()) ...
//
// A head ablation edits blocks.L.attn.hook_z, the heads' outputs before the output projection
// ([batch, tokens, heads · d_head]), so head h's share of hook_attn_out becomes W_O,h · 0 (zero)
// or W_O,h · mean (mean). A steering vector adds α · v at its residual hook.

#include "core/base/status.h"
#include "core/steering/interventions.h"
#include "gpu/model/hook_set.h"
#include "gpu/sae/steering/clamp_splice.h"

#include <vector>

namespace gyrus::gpu::detail {

class Transformer;

/// Adds `interventions` to `hooks` at every position from scope.firstEditable on (prompt and
/// generated). A mean ablation's mean is taken over the prompt's positions
/// [scope.firstEditable, promptTokens.size()) in one forward of `promptTokens`. Errors: a layer
/// or head outside the model, a hook it lacks, a vector whose width is not d_model, a mean
/// ablation without any editable prompt position. Adds nothing for empty interventions.
Status addInterventions(HookSet &hooks, Transformer &net, const Interventions &interventions,
                        const std::vector<int> &promptTokens, const ClampScope &scope);

}  // namespace gyrus::gpu::detail
