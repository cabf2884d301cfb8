#pragma once
// Follows an SAE training run that another process writes (gyrus-cli sae train, perhaps on a
// cluster, its output directory on a mounted file system): the JSONL log OUT/train_log.jsonl
// read line by line as it grows, and the SAEs it exports, OUT/checkpoint/sae at each checkpoint
// and OUT at the end.

#include "core/sae/sae_training_types.h"

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace gyrus {

// A line of train_log.jsonl reads with saeTrainMetricsFromJson (core/sae/sae_training_json.h).

class SaeRunFollower
{
public:
    explicit SaeRunFollower(QString runDirectory);

    const QString &runDirectory() const { return m_directory; }

    QString logPath() const;

    struct Update
    {
        QVector<SaeTrainMetrics> lines;  ///< complete lines since the last poll, in order
        bool restarted = false;          ///< the log shrank (a new run): drop what was read before
        QString problem;  ///< a line that is not JSON (named by its number), or empty
    };

    /// Reads what was appended since the last call. A line still being written (no newline
    /// yet) waits for the next poll; a missing log is no update (the run has not started).
    Update poll();

    /// The newest exported SAE directory of the run (cfg.json and sae_weights.safetensors
    /// present; OUT or OUT/checkpoint/sae, whichever was written last), or empty.
    QString latestExport() const;

private:
    QString m_directory;
    qint64 m_offset = 0;  // bytes of the log consumed (complete lines only)
    qint64 m_lineNumber = 0;
};

}  // namespace gyrus
