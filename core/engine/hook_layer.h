#pragma once
// The layer of a TransformerLens hook name, for grouping results by layer without torch.

#include <QString>

namespace gyrus {

/// L for "blocks.L.…" (hook_resid_post, attn.hook_z, …); -1 for a site outside the blocks
/// (hook_embed, hook_pos_embed, ln_final.hook_normalized) or a name that is not a hook's.
int hookLayer(const QString &hook);

}  // namespace gyrus
