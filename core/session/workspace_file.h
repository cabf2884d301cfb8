#pragma once
// The `.gyrus` workspace file (ARCHITECTURE.md §5): one HDF5 file, readable with h5py.
//
//   /                    attributes: format = "gyrus.workspace", format_version = "1",
//                        gyrus_version, saved_at (ISO 8601 UTC)
//   /provenance          JSON: gyrus_version, qt_version, os, created_at, saved_at, sections,
//                        plus what the saver adds (recovered_from for an autosave)
//   /sections/<name>     JSON, one scalar UTF-8 string dataset per WorkspaceSection
//                        (core/session/workspace.h): "model", "sae", "prompt_sets", "sae_training",
//                        "selection", and whatever other docks register.
//   /data/<name>/<array> the section's results as data (core/session/workspace_data.h): float64
//                        datasets of any shape, or 1-D UTF-8 string datasets.
//
// Writes are atomic: a temporary file in the same directory, fsync, rename (Hdf5Writer).

#include "core/base/status.h"
#include "core/session/workspace_data.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QString>

namespace gyrus {

inline constexpr char kWorkspaceFormat[] = "gyrus.workspace";
inline constexpr int kWorkspaceFormatVersion = 1;

struct WorkspaceDocument
{
    QMap<QString, QByteArray> sections;  ///< section name -> JSON (UTF-8)
    QMap<QString, WorkspaceData> data;   ///< section name -> its arrays (may be absent)
    QJsonObject provenance;
};

/// True for a name usable as a section (and HDF5 dataset) name: [a-z0-9_.-]+, not "." or "..".
bool isValidSectionName(const QString &name);

/// Writes `document` to `path` atomically; sets provenance's saved_at, gyrus_version,
/// qt_version, os and sections (created_at too when absent). Every section must be a JSON object
/// or array; a bad one fails the save naming it, and the file at `path` is left as it was.
Status writeWorkspaceFile(const QString &path, const WorkspaceDocument &document);

/// Reads a workspace. Errors name the file: missing, not HDF5, HDF5 but not a Gyrus workspace,
/// written by a newer format, a section that is not valid JSON.
Result<WorkspaceDocument> readWorkspaceFile(const QString &path);

}  // namespace gyrus
