#pragma once
// Checkpoints with random weights: fixtures for tests, models for benchmarks. Torch-free.

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

/// The same for any supported family: writes `configJson` as config.json and random weights
/// for every tensor the family's checkpoint has (modelTensors), in F32.
Status writeRandomModel(const QString &dir, const QByteArray &configJson, quint64 seed);

}  // namespace gyrus::gpu
