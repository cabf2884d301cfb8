#pragma once
// Private to gpu/model: fills a ModelConfig from the config.json fields of one model_type family.

#include "gpu/model/config_fields.h"
#include "gpu/model/model_config.h"

namespace gyrus::gpu::family_fields {

/// Reads the sizes and the family data of `family` from `read`'s object. `defaultsForMissing`
/// takes Hugging Face's class defaults for absent size fields (the nested text_config of a
/// Gemma-3 multimodal config.json omits the fields equal to them). Problems go to `read`.
void readFamily(ModelFamily family, config_fields::FieldReader &read,
                const config_fields::Json &object, bool defaultsForMissing, ModelConfig &config);

}  // namespace gyrus::gpu::family_fields
