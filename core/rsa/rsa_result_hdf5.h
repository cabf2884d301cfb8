#pragma once

#include "core/base/status.h"

#include <QString>

namespace gyrus {

struct RsaResult;

/// The RSA dock's result as one HDF5 file (whole, atomic; ARCHITECTURE.md §5): the data RDM as
/// `/rdm` (writeRdmDatasets), the prompt-set rows it used as `/items`, with a clamp set
/// `/rdm_clamped` and `/rdm_difference` (clamped − plain), each model RDM as `/model_<k>`, and
/// root attributes for the provenance (ids, models, metric, hook_name, representation, pooling,
/// prompt_set).
Status writeRsaResultHdf5(const RsaResult &result, const QString &path);

}  // namespace gyrus
