#pragma once

#include <QString>
#include <QStringList>

namespace gyrus::app {

/// The bundled demo model directory (datasets/demo/model), looked up in the installed data
/// directory next to the executable (../share/gyrus/demo/model), then, for a program run from
/// its build tree only, in the source tree it was built from; empty when neither has it.
/// GYRUS_DEMO_MODEL in the environment overrides both.
QString bundledDemoModel();

/// The bundled demo SAE (datasets/demo/sae), found the same way; GYRUS_DEMO_SAE overrides.
QString bundledDemoSae();

/// The demo corpus's held-out split (datasets/corpus/heldout.txt), found the same way: the SAE
/// evaluation card's text and the feature inspector's default scan corpus. GYRUS_HELDOUT_TEXT
/// overrides; empty when absent.
QString bundledHeldoutText();

/// The demo corpus's training split (train.txt beside the held-out text), the SAE training
/// dock's default corpus; the held-out text when the training split is not installed.
QString bundledTrainingText();

/// The shipped prompt sets (datasets/prompt-sets), found the same way; empty when absent.
QString bundledPromptSets();

/// What of the demo is missing, one entry per part ("the demo model: no model.safetensors in
/// /usr/share/gyrus/demo/model"); empty when everything the first start opens is there. A part
/// counts as missing when its folder lacks any file that part needs, so a partial copy is
/// reported instead of failing to load.
QStringList missingDemoAssets();

/// Where an installed Gyrus keeps its demo: ../share/gyrus next to the executable.
QString installedDataDirectory();

}  // namespace gyrus::app
