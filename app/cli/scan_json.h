#pragma once
// The JSON `gyrus-cli scan` writes, read back as the feature inspector's FeatureDetails, so that
// explain and score work from a scan without loading the model again.

#include "core/base/status.h"
#include "core/features/feature_inspector_types.h"

#include <QHash>

namespace gyrus::cli {

struct ScanFile
{
    QString corpusPath;
    qint64 scannedTokens = 0;
    QList<FeatureDetails> features;  ///< index = feature
};

Result<ScanFile> readScanJson(const QString &path);

/// "3,17,40-42" -> {3, 17, 40, 41, 42}, each below featureCount.
Result<QList<int>> parseFeatureList(const QString &text, int featureCount);

}  // namespace gyrus::cli
