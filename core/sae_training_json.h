#pragma once
// JSON for the SAE training dock's state in a workspace (section "sae_training"): the form's
// settings and the metrics received (the charts' series).

#include "core/sae_training_types.h"

#include <QJsonObject>

namespace gyrus {

QJsonObject saeTrainRequestToJson(const SaeTrainRequest &request);
/// Missing keys (and an unknown architecture) keep the defaults of SaeTrainRequest.
SaeTrainRequest saeTrainRequestFromJson(const QJsonObject &json);

QJsonObject saeTrainMetricsToJson(const SaeTrainMetrics &progress);
SaeTrainMetrics saeTrainMetricsFromJson(const QJsonObject &json);

}  // namespace gyrus
