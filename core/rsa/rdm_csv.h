#pragma once

#include "core/base/status.h"
#include "core/rsa/rdm.h"

#include <QString>

namespace gyrus {

/// RDM CSV files (ARCHITECTURE.md §5): a header row of the n stimulus ids, then n rows of n
/// values. Ids containing a comma or a double quote are written in double quotes ("" escapes a
/// quote). Blank lines at the end are ignored.

/// Reads and validates an RDM CSV (square, symmetric, zero diagonal, finite, unique ids); errors
/// name the file and the row/column (1-based, counting the header as row 1 of the file).
Result<Rdm> readRdmCsv(const QString &path);

/// Writes `rdm` as a square CSV with 9 significant digits (float32 round-trips exactly).
Status writeRdmCsv(const Rdm &rdm, const QString &path);

}  // namespace gyrus
