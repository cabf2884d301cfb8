#pragma once
// Analysis results to and from a workspace (core/session/workspace_data.h): the numbers as arrays
// (HDF5 datasets in the .gyrus file), the rest (names, settings, sizes) as JSON beside them.
// Restoring gives the result back exactly as computed, so a reopened study needs no recomputation.
//
// Every function takes a `prefix` ("contrast", "methods", ...) for the array names, so one
// section can hold several results. Unarchiving checks sizes and names the missing piece.

#include "core/base/status.h"
#include "core/contrasts/contrast_requests.h"
#include "core/rsa/rsa_requests.h"
#include "core/session/workspace_data.h"

#include <QJsonObject>

namespace gyrus {

/// What a result was computed from: the analysis settings, the model and the SAE (paths), and
/// an id that changes with every new result (so that a workspace notices a recomputation).
struct ResultProvenance
{
    ContrastSource source;
    QString modelPath;
    QString saePath;
    QString id;
};

QJsonObject provenanceToJson(const ResultProvenance &provenance);
ResultProvenance provenanceFromJson(const QJsonObject &json, const PromptSet &set);

/// Why a result computed from `computed` no longer matches `now`, in words; empty when it does.
/// A model or SAE not loaded (yet) is not a change: a reopened workspace loads them after it
/// shows its results.
QString staleReason(const ResultProvenance &computed, const ResultProvenance &now);

QJsonObject contrastSourceToJson(const ContrastSource &source);
/// Settings only: the prompt set is not stored here (the prompt-set section holds it). An unknown
/// pooling leaves the default and is reported in `problem`.
ContrastSource contrastSourceFromJson(const QJsonObject &json, const PromptSet &set,
                                      Status *problem = nullptr);
/// Same analysis: set (by content), factor, levels, 2 × 2, hook, representation, pooling.
bool sameContrastSource(const ContrastSource &a, const ContrastSource &b);

QJsonObject archiveContrast(const ContrastAnalysisResult &result, const QString &prefix,
                            WorkspaceData *data);
Result<ContrastAnalysisResultPtr> unarchiveContrast(const QJsonObject &json, const QString &prefix,
                                                    const WorkspaceData &data);

QJsonObject archiveFeatureRsaMap(const FeatureRsaMap &map, const QString &prefix,
                                 WorkspaceData *data);
Result<FeatureRsaMapPtr> unarchiveFeatureRsaMap(const QJsonObject &json, const QString &prefix,
                                                const WorkspaceData &data);

QJsonObject archiveMethodComparison(const MethodComparisonResult &result, const QString &prefix,
                                    WorkspaceData *data);
Result<MethodComparisonResultPtr> unarchiveMethodComparison(const QJsonObject &json,
                                                            const QString &prefix,
                                                            const WorkspaceData &data);

/// The RSA dock's result (RDMs, model fits, MDS); the prompt set is given back by the caller.
QJsonObject archiveRsaResult(const RsaResult &result, const QString &prefix, WorkspaceData *data);
Result<std::shared_ptr<const RsaResult>> unarchiveRsaResult(const QJsonObject &json,
                                                            const QString &prefix,
                                                            const WorkspaceData &data,
                                                            const PromptSet &set);

}  // namespace gyrus
