#pragma once

#include <QString>

namespace gyrus::app {

/// The bundled demo model directory (datasets/demo/model), looked up next to the executable's
/// installed data, then in the source tree it was built from; empty when neither exists.
/// GYRUS_DEMO_MODEL in the environment overrides both.
QString bundledDemoModel();

/// The bundled demo SAE (datasets/demo/sae), found the same way; GYRUS_DEMO_SAE overrides.
QString bundledDemoSae();

/// The shipped prompt sets (datasets/prompt-sets), found the same way; empty when absent.
QString bundledPromptSets();

}  // namespace gyrus::app
