#pragma once
// The SAE splice that clamp sets act through (ARCHITECTURE.md §4), torch-free part.
// At the SAE's hook every edited position becomes
//   h' = h − x̂(f) + x̂(f') = h + Σ_j (f'_j − f_j)·W_dec[j]      (clamp, scale)
//   h' = h + α·W_dec[j]                                        (add: additive steering)
// with f = encode(h) and f' = f edited. The reconstruction error h − x̂(f) is kept, so an edit
// that leaves f unchanged is exactly the identity (the delta is computed, not h − x̂ + x̂').
// The tensor-level hook is in gpu/sae/steering/clamp_hook.h; steering requests built on it are in
// gpu/sae/steering/steering.h.

#include "core/base/status.h"
#include "core/steering/clamp_set.h"

#include <cstdint>
#include <limits>

namespace gyrus::gpu {

/// Which absolute token positions a clamp set edits.
struct ClampScope
{
    /// Positions [0, promptLength) are the prompt, later ones were generated. The default makes
    /// every position "prompt" (a plain forward over prompts, e.g. RDM under intervention).
    int64_t promptLength = std::numeric_limits<int64_t>::max();
    /// Positions before this one are never edited: 1 skips BOS (its activations are outliers the
    /// SAE never saw), 0 edits from the first token (a sequence without BOS).
    int64_t firstEditable = 1;
};

/// A scope for a prompt of `promptLength` tokens that starts with BOS when `startsWithBos`.
inline ClampScope clampScopeForPrompt(int64_t promptLength, bool startsWithBos)
{
    return ClampScope{promptLength, startsWithBos ? 1 : 0};
}

/// Checks that every enabled clamp names a feature in [0, dSae) with a finite value; the message
/// names the entry ("clamp set 'x': feature 5000 is outside the SAE's 1536 features").
Status validateClampSet(const ClampSet &set, int64_t dSae);

}  // namespace gyrus::gpu
