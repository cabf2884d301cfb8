#include "gpu/model/weight_footprint.h"

#include "core/base/memory_budget.h"

#include <QFileInfo>

#include <algorithm>
#include <set>

namespace gyrus::gpu {

namespace {

bool isStem(WeightRole role)
{
    return role == WeightRole::Embed || role == WeightRole::PosEmbed;
}

bool isHead(WeightRole role)
{
    return role == WeightRole::FinalNorm || role == WeightRole::FinalNormBias ||
           role == WeightRole::LmHead;
}

qint64 numel(const QVector<qint64> &shape)
{
    qint64 n = 1;
    for (const qint64 dim : shape) {
        n *= dim;
    }
    return n;
}

}  // namespace

std::vector<const TensorPlace *> WeightFootprint::needed(int lastLayer, bool head) const
{
    lastLayer = std::min(lastLayer, layers - 1);
    std::vector<const TensorPlace *> out;
    for (const TensorPlace &place : tensors) {
        const WeightRole role = place.tensor.role;
        const bool wanted = isStem(role) || (isHead(role) && head) ||
                            (place.tensor.layer >= 0 && place.tensor.layer <= lastLayer);
        if (wanted) {
            out.push_back(&place);
        }
    }
    return out;
}

QString WeightFootprint::fileDtype() const
{
    std::set<DType> kinds;
    for (const TensorPlace &place : tensors) {
        if (place.tensor.shape.size() >= 2) {
            kinds.insert(place.dtype);
        }
    }
    if (kinds.size() != 1) {
        return kinds.empty() ? QStringLiteral("none") : QStringLiteral("mixed");
    }
    switch (*kinds.begin()) {
        case DType::F32:
            return QStringLiteral("fp32");
        case DType::F16:
            return QStringLiteral("fp16");
        case DType::BF16:
            return QStringLiteral("bf16");
        default:
            return dtypeName(*kinds.begin()).toLower();
    }
}

WeightFootprint weightFootprint(const ModelConfig &config, const SafetensorsArchive &archive)
{
    WeightFootprint footprint;
    footprint.layers = config.numHiddenLayers;
    footprint.tiedHead = config.tieWordEmbeddings;
    footprint.shards = archive.files();
    for (const ModelTensor &tensor : modelTensors(config)) {
        const QString name = checkpointName(config, tensor);
        const std::optional<TensorInfo> info = archive.info(name);
        if (!info) {
            continue;
        }
        footprint.tensors.push_back({tensor, name, info->file, info->dtype, info->bytes});
        footprint.fileBytes += info->bytes;
    }
    return footprint;
}

qint64 residentBytes(const TensorPlace &place, const ComputePlacement &placement)
{
    const bool inPlace =
            placement.cpu && (isStem(place.tensor.role) || place.dtype == placement.dtype);
    if (inPlace) {
        return place.fileBytes;
    }
    // The embedding on a device keeps the file's dtype (rows are converted after the gather).
    const qint64 element =
            isStem(place.tensor.role) ? dtypeSize(place.dtype) : dtypeSize(placement.dtype);
    return numel(place.tensor.shape) * element;
}

JobTouch jobTouch(const WeightFootprint &footprint, int lastLayer, bool head,
                  const ComputePlacement &placement)
{
    JobTouch touch;
    touch.lastLayer = std::min(lastLayer, footprint.layers - 1);
    touch.head = head;
    std::set<QString> shards;
    for (const TensorPlace *place : footprint.needed(touch.lastLayer, head)) {
        ++touch.tensors;
        touch.fileBytes += place->fileBytes;
        const qint64 held = residentBytes(*place, placement);
        const bool copied =
                !(placement.cpu && (isStem(place->tensor.role) || place->dtype == placement.dtype));
        touch.residentBytes += held;
        if (copied) {
            touch.convertedBytes += held;
        }
        shards.insert(place->shard);
        if (head && footprint.tiedHead && place->tensor.role == WeightRole::Embed) {
            // The tied head is the embedding in the compute dtype: a copy unless it already is.
            if (!(place->dtype == placement.dtype && placement.cpu)) {
                const qint64 copy = numel(place->tensor.shape) * dtypeSize(placement.dtype);
                touch.residentBytes += copy;
                touch.convertedBytes += copy;
            }
        }
    }
    touch.shards = QStringList(shards.begin(), shards.end());
    return touch;
}

QString describeJobTouch(const WeightFootprint &footprint, const JobTouch &touch)
{
    const QString layers = touch.lastLayer < 0
                                   ? QStringLiteral("the embedding only")
                                   : QStringLiteral("layers 0..%1").arg(touch.lastLayer);
    const QString what =
            touch.head
                    ? QStringLiteral("generation and logits read all %1 layers and the head")
                              .arg(footprint.layers)
                    : QStringLiteral("a job at layer %1 reads %2").arg(touch.lastLayer).arg(layers);
    return QStringLiteral("%1: %2 of the %3 checkpoint (%4 of %5 shards), %6 held")
            .arg(what, formatBytes(touch.fileBytes), formatBytes(footprint.fileBytes))
            .arg(touch.shards.size())
            .arg(footprint.shards.size())
            .arg(formatBytes(touch.residentBytes));
}

}  // namespace gyrus::gpu
