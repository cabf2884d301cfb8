#include "core/features/corpus_scan_path.h"

#include "core/base/file_fingerprint.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace gyrus {

QString defaultCorpusScanDirectory()
{
    QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (data.isEmpty()) {
        data = QDir::tempPath();
    }
    return QDir(data).filePath(QStringLiteral("corpus-scans"));
}

QString corpusScanFileName(const SaeInfo &sae)
{
    if (sae.path.isEmpty()) {
        return QString();
    }
    const Result<DirectoryFingerprint> fingerprint = fingerprintDirectory(sae.path);
    if (!fingerprint) {
        return QString();
    }
    return fingerprint.value().sha256.left(16) + QStringLiteral(".gyrus-scan");
}

QString corpusScanPath(const SaeInfo &sae, const QString &directory)
{
    const QString name = corpusScanFileName(sae);
    if (name.isEmpty()) {
        return QString();
    }
    return QDir(directory.isEmpty() ? defaultCorpusScanDirectory() : directory).filePath(name);
}

QString shippedCorpusScanPath(const SaeInfo &sae)
{
    if (sae.path.isEmpty() || !QFileInfo(sae.path).isDir()) {
        return QString();
    }
    return QDir(sae.path).filePath(QStringLiteral("gyrus_scan.bin"));
}

QStringList existingCorpusScans(const SaeInfo &sae, const QString &directory)
{
    QStringList found;
    for (const QString &path : {corpusScanPath(sae, directory), shippedCorpusScanPath(sae)}) {
        if (!path.isEmpty() && QFileInfo::exists(path)) {
            found.append(path);
        }
    }
    return found;
}

}  // namespace gyrus
