#pragma once
// The workspace sections of the docks the main window builds itself. Other docks
// register their own (see core/session/workspace.h).
//
//   "model"        {"path", "device", "dtype", "sha256", "fingerprint"}: reloaded through the
//                  engine when it is not the model already loaded
//   "sae"          {"path", "device", "sha256", "fingerprint"}: EngineClient::loadSae after the
//                  model
//   "prompt_sets"  the open set (content, file, modified state): PromptSetsPanel
//   "sae_training" form, chart series, runs, last evaluation: SaeTrainingPanel
//   "selection"    selected feature, clamp set, annotations: core/session/workspace_selection.h
//   "attribution"  the Attribution dock's prompt, target, minus token, position, verification
//                  count, shown tab and patching settings (results are recomputed on Run)
//
// A referenced directory that is missing or whose fingerprint (core/base/file_fingerprint.h)
// changed gives a warning, not an error: the rest of the workspace still opens.

#include "core/session/workspace.h"

namespace gyrus {
class EngineClient;
}

namespace gyrus::widgets {
class AttributionPanel;
class ModelPanel;
class PromptSetsPanel;
class SaeTrainingPanel;
}  // namespace gyrus::widgets

namespace gyrus::app {

std::unique_ptr<WorkspaceSection> makeModelSection(EngineClient *engine,
                                                   widgets::ModelPanel *panel);
std::unique_ptr<WorkspaceSection> makeSaeSection(EngineClient *engine, widgets::ModelPanel *panel);
std::unique_ptr<WorkspaceSection> makePromptSetsSection(widgets::PromptSetsPanel *panel);
std::unique_ptr<WorkspaceSection> makeSaeTrainingSection(widgets::SaeTrainingPanel *panel);
std::unique_ptr<WorkspaceSection> makeAttributionSection(widgets::AttributionPanel *panel);

}  // namespace gyrus::app
