#pragma once
// Which checkpoint tensors, shards and bytes a job touches. A job that reads the residual stream
// at layer L runs layers 0..L only, so it needs the embedding and those layers' tensors; only
// logits (generation, logit views) need every layer, the final norm and the head. Torch-free:
// computed from config.json and the safetensors headers alone, before any weight is read.

#include "gpu/model/model_config.h"
#include "gpu/model/safetensors.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace gyrus::gpu {

/// One checkpoint tensor and where it lives.
struct TensorPlace
{
    ModelTensor tensor;  ///< role, layer (-1: embedding, final norm, head), usual name, shape
    QString nameInFile;  ///< checkpointName()
    QString shard;       ///< absolute path of the .safetensors file holding it
    DType dtype = DType::F32;
    qint64 fileBytes = 0;  ///< its bytes in the file
};

/// Every tensor of a model with its place in the checkpoint.
struct WeightFootprint
{
    std::vector<TensorPlace> tensors;  ///< modelTensors() order
    int layers = 0;
    bool tiedHead = false;
    QStringList shards;  ///< the checkpoint's files, sorted
    qint64 fileBytes = 0;

    /// The tensors a job needs: the embedding (and learned positions), layers 0..lastLayer and,
    /// with `head`, the final norm and the untied head. lastLayer is clamped to the model.
    std::vector<const TensorPlace *> needed(int lastLayer, bool head) const;

    /// "bf16", "fp32" or "mixed": the dtype of the large tensors in the file.
    QString fileDtype() const;
};

/// `config` with tensorRoot as Transformer::fromArchive() sets it; tensors absent from the
/// archive are skipped (loading has already refused such a checkpoint).
WeightFootprint weightFootprint(const ModelConfig &config, const SafetensorsArchive &archive);

/// How the weights become usable on the compute side.
struct ComputePlacement
{
    DType dtype = DType::F32;  ///< the compute dtype (F32, BF16, F16)
    bool cpu = true;           ///< on the CPU, tensors of the compute dtype stay mapped in place
};

/// What one job touches and holds.
struct JobTouch
{
    int lastLayer = -1;  ///< -1: embedding only
    bool head = false;
    int tensors = 0;
    qint64 fileBytes = 0;       ///< bytes read from the checkpoint (paged in)
    qint64 residentBytes = 0;   ///< bytes held afterwards: mapped pages plus converted copies
    qint64 convertedBytes = 0;  ///< of which copies in the compute dtype (or on the device)
    QStringList shards;         ///< files read, sorted
};

/// The bytes held for `place` once it is in use: its mapped bytes when it can be used in place
/// (CPU, the compute dtype; the embedding always, it is gathered row by row), else a copy.
qint64 residentBytes(const TensorPlace &place, const ComputePlacement &placement);

/// What a job at `lastLayer` (with or without the head) touches.
JobTouch jobTouch(const WeightFootprint &footprint, int lastLayer, bool head,
                  const ComputePlacement &placement);

/// "a job at layer 12 reads layers 0..12: 5.9 GB of the 16.1 GB checkpoint (2 of 4 shards)".
QString describeJobTouch(const WeightFootprint &footprint, const JobTouch &touch);

}  // namespace gyrus::gpu
