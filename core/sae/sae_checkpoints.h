#pragma once
// What SAE training runs left on disk, for the training dock's checkpoint list: the trainer's
// checkpoint `<out>.checkpoint/` (trainer_state.json + trainer_state.safetensors, written on
// pause) and the exported SAE `<out>/` (cfg.json + sae_weights.safetensors, written at the end).

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace gyrus {

struct SaeRunArtifact
{
    enum class Kind
    {
        Checkpoint,   ///< resumable (SaeTrainRequest::resumeCheckpoint)
        ExportedSae,  ///< loadable (EngineClient::loadSae) and evaluable
    };
    Kind kind = Kind::Checkpoint;
    QString path;
    QString runDirectory;    ///< the run's output directory (`<out>`)
    qint64 step = -1;        ///< checkpoint: the step it stopped at
    qint64 totalSteps = -1;  ///< checkpoint: total_tokens / batch_size of its config
    QString architecture;
    QString hookName;
    QDateTime modified;
};

/// The checkpoints and exported SAEs of the runs writing to `outDirectories` (each run's
/// checkpoint first, then its SAE), in the order given; missing ones are skipped.
QList<SaeRunArtifact> findSaeRunArtifacts(const QStringList &outDirectories);

/// One line for a list: "checkpoint · step 120 / 400 · topk · out.checkpoint".
QString describeSaeRunArtifact(const SaeRunArtifact &artifact);

}  // namespace gyrus
