#pragma once
// JSON for the SAE training dock's state in a workspace (section "sae_training"): the form's
// settings and the metrics received (the charts' series).

#include "core/sae_training_types.h"

#include <QJsonObject>

namespace gyrus {

QJsonObject saeTrainRequestToJson(const SaeTrainRequest &request);
/// Missing keys keep the defaults of SaeTrainRequest.
SaeTrainRequest saeTrainRequestFromJson(const QJsonObject &json);

QJsonObject saeTrainProgressToJson(const SaeTrainProgress &progress);
SaeTrainProgress saeTrainProgressFromJson(const QJsonObject &json);

}  // namespace gyrus
