#pragma once
// Checkpoints with random weights: fixtures for tests, models for benchmarks. Torch-free.

#include "core/base/status.h"
#include "gpu/model/model_config.h"
#include "gpu/model/safetensors.h"

#include <QString>

#include <functional>

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

/// A sharded checkpoint as Hugging Face saves large models: `dir`/config.json (`configJson`),
/// model-0000k-of-0000n.safetensors with `layersPerShard` layers each (the embedding in the first,
/// the final norm and head in the last) and model.safetensors.index.json. Random weights as
/// above in `dtype`, made one tensor at a time, so memory stays near one shard even for an
/// 8B-shaped model. `corruptLayer` >= 0 writes a NaN into that layer's first matrix (a corrupt
/// shard for tests). `progress` (may be empty) gets the fraction written.
Status writeRandomShardedModel(const QString &dir, const QByteArray &configJson, quint64 seed,
                               DType dtype, int layersPerShard, int corruptLayer = -1,
                               const std::function<void(double)> &progress = {});

}  // namespace gyrus::gpu
