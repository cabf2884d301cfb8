#pragma once
// JSON for the SAE training dock's state in a workspace (section "sae_training"): the form's
// settings and the metrics received (the charts' series); the one codec of the training metrics,
// which the trainer's log and the CLI's report use too.

#include "core/sae/sae_training_types.h"

#include <QJsonObject>

namespace gyrus {

QJsonObject saeTrainRequestToJson(const SaeTrainRequest &request);
/// Missing keys (and an unknown architecture) keep the defaults of SaeTrainRequest.
SaeTrainRequest saeTrainRequestFromJson(const QJsonObject &json);

/// The keys a metrics report is written with: the SAE training dock's workspace section, the
/// final report `gyrus-cli sae train` prints, or a line of the trainer's train_log.jsonl.
enum class SaeMetricsFields
{
    Workspace,
    Summary,
    Log,
};

QJsonObject saeTrainMetricsToJson(const SaeTrainMetrics &metrics,
                                  SaeMetricsFields fields = SaeMetricsFields::Workspace);
/// Reads what any of the writers wrote; missing keys keep SaeTrainMetrics' defaults.
SaeTrainMetrics saeTrainMetricsFromJson(const QJsonObject &json);

}  // namespace gyrus
