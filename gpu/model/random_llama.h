#pragma once
// Llama checkpoints with random weights: fixtures for tests, models for benchmarks. Torch-free.

#include "core/status.h"
#include "gpu/model/model_config.h"
#include "gpu/model/safetensors.h"

#include <QString>

namespace gyrus::gpu {

/// Writes `dir`/config.json and `dir`/model.safetensors (creating `dir`) for `config`, with
/// weights drawn from a seeded normal distribution: norms 1 + 0.2·N(0,1), the embedding N(0,1),
/// other matrices N(0,1)/sqrt(fan_in). `dtype` is F32, BF16 or F16. The same seed gives the same
/// files.
Status writeRandomLlama(const QString &dir, const ModelConfig &config, quint64 seed,
                        DType dtype = DType::F32);

}  // namespace gyrus::gpu
