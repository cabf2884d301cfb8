#pragma once
// The SelectionHub's workspace section "selection": the selected feature, the clamp set and the
// feature annotations (labels and notes).
//
//   {"version": 1, "selected_feature": 12, "clamp_set": {...clampSetToJson...},
//    "annotations": [{"feature": 12, "label": "...", "notes": "..."}, ...]}

#include "core/session/workspace.h"

namespace gyrus {

class SelectionHub;

/// The section for `hub` (which must outlive the Workspace it is added to).
std::unique_ptr<WorkspaceSection> makeSelectionSection(SelectionHub *hub);

}  // namespace gyrus
