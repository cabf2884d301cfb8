#pragma once
// The SAE cards the docks show and the SAE–model check reads (core/engine/engine_types.h), made
// from what the loader returns. Torch-free: gyrus-cli uses them too.

#include "core/engine/engine_types.h"
#include "core/sae/sae_config.h"
#include "gpu/model/language_model.h"

#include <QString>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// The SAE card of an SAE loaded from `path` onto `device`.
gyrus::SaeInfo saeCard(const SaeConfig &config, const QString &path, const QString &device);

/// The same for a loaded module (for callers that do not include torch).
gyrus::SaeInfo saeCard(const detail::SaeModule &sae, const QString &path, const QString &device);

/// What an SAE's card says the model should do for it: TransformerLens's BOS rule
/// (prepend_bos) and centred residual hooks (center_writing_weights).
SaeConventions saeConventions(const gyrus::SaeInfo &card);

}  // namespace gyrus::gpu
