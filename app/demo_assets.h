#pragma once

#include <QString>

namespace gyrus::app {

/// The bundled demo model directory (datasets/demo/model), looked up next to the executable's
/// installed data, then in the source tree it was built from; empty when neither exists.
/// GYRUS_DEMO_MODEL in the environment overrides both.
QString bundledDemoModel();

}  // namespace gyrus::app
