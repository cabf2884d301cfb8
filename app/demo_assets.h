#pragma once

#include <QString>

namespace gyrus::app {

/// The bundled demo model directory (datasets/demo/model), looked up next to the executable's
/// installed data, then in the source tree it was built from; empty when neither exists.
/// GYRUS_DEMO_MODEL in the environment overrides both.
QString bundledDemoModel();

/// The bundled demo SAE (datasets/demo/sae), found the same way; GYRUS_DEMO_SAE overrides.
QString bundledDemoSae();

/// The demo corpus's held-out split (datasets/corpus/heldout.txt), found the same way: the SAE
/// evaluation card's text and the feature inspector's default scan corpus. GYRUS_HELDOUT_TEXT
/// overrides; empty when absent.
QString bundledHeldoutText();

/// The shipped prompt sets (datasets/prompt-sets), found the same way; empty when absent.
QString bundledPromptSets();

}  // namespace gyrus::app
