#pragma once
// The token heatmap's analysis to and from a workspace (core/session/workspace_data.h): tokens and
// the sparse SAE activations as arrays (HDF5 datasets in the .gyrus file), names and sizes as JSON,
// so a reopened workspace shows the heatmap without running the model. The raw hook vectors are
// not kept (tokens × d_model floats); the dock asks for them again when hook-dimension colouring
// is chosen.

#include "core/base/status.h"
#include "core/features/token_analysis_types.h"
#include "core/session/workspace_data.h"

#include <QJsonObject>

namespace gyrus {

QJsonObject archiveTokenAnalysis(const TokenAnalysis &analysis, const QString &prefix,
                                 WorkspaceData *data);
/// Checks every size against the JSON and names the array that does not fit.
Result<TokenAnalysisPtr> unarchiveTokenAnalysis(const QJsonObject &json, const QString &prefix,
                                                const WorkspaceData &data);

}  // namespace gyrus
