#pragma once
// Workspace sections of the analysis docks: their settings and their results, the numbers as
// HDF5 datasets (/data/<section>/...) beside the JSON, restored without recomputing and marked
// out of date when the model, SAE, prompt set or settings no longer match.
//
//   "contrasts"  the Contrasts dock: form settings, contrast table, feature RSA map, method
//                comparison (widgets::ContrastPanel::workspaceState)
//   "rsa"        the RSA dock: settings, RDMs, model fits, MDS (widgets::RsaPanel)
//   "heatmap"    the Token heatmap dock: the typed text, its source mode and the analysis shown
//                (tokens and sparse activations; kept while its SAE is the one loaded)
//   "steering"   the Steering dock: prompt, sampling, sweep grid, the last texts, next-token
//                shift and sweep (widgets::SteeringPanel); the clamp set is in "selection"
//
// Both restore after "prompt_sets" (the results refer to its items) and before the model and
// SAE are loaded again.

#include "core/session/workspace.h"

namespace gyrus::widgets {
class ContrastPanel;
class RsaPanel;
class SteeringPanel;
class TokenHeatmapPanel;
}  // namespace gyrus::widgets

namespace gyrus::app {

std::unique_ptr<WorkspaceSection> makeContrastsSection(widgets::ContrastPanel *panel);
std::unique_ptr<WorkspaceSection> makeRsaSection(widgets::RsaPanel *panel);
std::unique_ptr<WorkspaceSection> makeSteeringSection(widgets::SteeringPanel *panel);
std::unique_ptr<WorkspaceSection> makeHeatmapSection(widgets::TokenHeatmapPanel *panel);

}  // namespace gyrus::app
