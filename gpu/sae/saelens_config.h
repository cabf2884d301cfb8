#pragma once
// Private to gyrus_formats and gyrus_gpu (and tests/gpu): a SAELens cfg.json of any version read
// into SaeFileInfo. Torch-free.

#include "core/base/status.h"
#include "gpu/sae/sae_directory.h"

#include <QJsonObject>
#include <QString>

namespace gyrus::gpu::detail {

/// Reads `cfg` (the contents of `path`) the way SAELens does: v6 keeps the model-side fields
/// under "metadata" (early 6.x: "meta"); older files keep them at the top level, call the hook
/// "hook_point", name the activation in "activation_fn_str" and default apply_b_dec_to_input and
/// prepend_bos to true. Errors name `path` and the key.
Result<SaeFileInfo> parseSaeLensConfig(const QJsonObject &cfg, const QString &path);

}  // namespace gyrus::gpu::detail
