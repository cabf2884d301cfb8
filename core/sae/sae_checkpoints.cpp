#include "core/sae/sae_checkpoints.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace gyrus {

namespace {

QJsonObject readJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(file.readAll()).object();
}

}  // namespace

QList<SaeRunArtifact> findSaeRunArtifacts(const QStringList &outDirectories)
{
    QList<SaeRunArtifact> found;
    QStringList seen;
    for (const QString &out : outDirectories) {
        const QString run = QDir::cleanPath(out);
        if (run.isEmpty() || seen.contains(run)) {
            continue;
        }
        seen << run;
        const QString checkpoint = run + QStringLiteral(".checkpoint");
        const QString state = QDir(checkpoint).filePath(QStringLiteral("trainer_state.json"));
        if (QFileInfo::exists(state)) {
            const QJsonObject json = readJson(state);
            const QJsonObject config = json.value(QStringLiteral("config")).toObject();
            SaeRunArtifact a;
            a.kind = SaeRunArtifact::Kind::Checkpoint;
            a.path = checkpoint;
            a.runDirectory = run;
            a.step = static_cast<qint64>(json.value(QStringLiteral("step")).toDouble(-1));
            const double batch = config.value(QStringLiteral("batch_size")).toDouble();
            if (batch > 0) {
                a.totalSteps = static_cast<qint64>(
                        config.value(QStringLiteral("total_tokens")).toDouble() / batch);
            }
            a.architecture = config.value(QStringLiteral("architecture")).toString();
            a.hookName = config.value(QStringLiteral("hook_name")).toString();
            a.modified = QFileInfo(state).lastModified();
            found << a;
        }
        const QString cfg = QDir(run).filePath(QStringLiteral("cfg.json"));
        if (QFileInfo::exists(cfg)) {
            const QJsonObject json = readJson(cfg);
            SaeRunArtifact a;
            a.kind = SaeRunArtifact::Kind::ExportedSae;
            a.path = run;
            a.runDirectory = run;
            a.architecture = json.value(QStringLiteral("architecture")).toString();
            a.hookName = json.value(QStringLiteral("hook_name")).toString();
            a.modified = QFileInfo(cfg).lastModified();
            found << a;
        }
    }
    return found;
}

QString describeSaeRunArtifact(const SaeRunArtifact &a)
{
    const QString name = QFileInfo(a.path).fileName();
    if (a.kind == SaeRunArtifact::Kind::Checkpoint) {
        const QString step = a.totalSteps > 0
                                     ? QStringLiteral("step %1 / %2").arg(a.step).arg(a.totalSteps)
                                     : QStringLiteral("step %1").arg(a.step);
        return QStringLiteral("checkpoint · %1 · %2 · %3")
                .arg(step, a.architecture.isEmpty() ? QStringLiteral("?") : a.architecture, name);
    }
    return QStringLiteral("SAE · %1 · %2 · %3")
            .arg(a.architecture.isEmpty() ? QStringLiteral("?") : a.architecture,
                 a.hookName.isEmpty() ? QStringLiteral("?") : a.hookName, name);
}

}  // namespace gyrus
