#include "core/sae/sae_run_follower.h"

#include "core/sae/sae_training_json.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace gyrus {

SaeRunFollower::SaeRunFollower(QString runDirectory)
    : m_directory(QDir::cleanPath(std::move(runDirectory)))
{}

QString SaeRunFollower::logPath() const
{
    return QDir(m_directory).filePath(QStringLiteral("train_log.jsonl"));
}

SaeRunFollower::Update SaeRunFollower::poll()
{
    Update update;
    QFile log(logPath());
    if (!log.open(QIODevice::ReadOnly)) {
        return update;
    }
    if (log.size() < m_offset) {
        update.restarted = true;
        m_offset = 0;
        m_lineNumber = 0;
    }
    if (!log.seek(m_offset)) {
        return update;
    }
    const QByteArray fresh = log.readAll();
    const qsizetype end = fresh.lastIndexOf('\n');
    if (end < 0) {
        return update;
    }
    m_offset += end + 1;
    for (const QByteArray &text : fresh.left(end).split('\n')) {
        ++m_lineNumber;
        if (text.trimmed().isEmpty()) {
            continue;
        }
        QJsonParseError error;
        const QJsonDocument line = QJsonDocument::fromJson(text, &error);
        if (error.error != QJsonParseError::NoError || !line.isObject()) {
            update.problem = QStringLiteral("%1: line %2 is not a JSON object (%3)")
                                     .arg(logPath())
                                     .arg(m_lineNumber)
                                     .arg(error.errorString());
            continue;
        }
        update.lines.append(saeTrainMetricsFromJson(line.object()));
    }
    return update;
}

QString SaeRunFollower::latestExport() const
{
    QString newest;
    QDateTime newestTime;
    for (const QString &candidate :
         {m_directory, QDir(m_directory).filePath(QStringLiteral("checkpoint/sae"))}) {
        const QFileInfo config(QDir(candidate).filePath(QStringLiteral("cfg.json")));
        const QFileInfo weights(
                QDir(candidate).filePath(QStringLiteral("sae_weights.safetensors")));
        if (!config.exists() || !weights.exists()) {
            continue;
        }
        const QDateTime written = std::max(config.lastModified(), weights.lastModified());
        if (newest.isEmpty() || written > newestTime) {
            newest = candidate;
            newestTime = written;
        }
    }
    return newest;
}

}  // namespace gyrus
