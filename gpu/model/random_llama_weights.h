#pragma once
// Private to gyrus_gpu (and tests/gpu): random Llama weights in memory.

#include "gpu/model/model_config.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

namespace gyrus::gpu::detail {

/// fp32 CPU tensors under their Hugging Face names (expectedLlamaTensors), distributed as
/// writeRandomLlama() describes. Deterministic per seed.
std::map<std::string, at::Tensor> randomLlamaTensors(const ModelConfig &config, uint64_t seed);

}  // namespace gyrus::gpu::detail
