#include "core/corpus_scan_path.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace gyrus {

QString defaultCorpusScanPath(const SaeInfo &sae)
{
    if (sae.path.isEmpty()) {
        return QString();
    }
    const QFileInfo directory(sae.path);
    if (directory.isDir() && directory.isWritable()) {
        return QDir(sae.path).filePath(QStringLiteral("gyrus_scan.bin"));
    }
    const QByteArray key = QCryptographicHash::hash(QDir(sae.path).absolutePath().toUtf8(),
                                                    QCryptographicHash::Sha1)
                                   .toHex()
                                   .left(16);
    QString cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    if (cache.isEmpty()) {
        cache = QDir::tempPath();
    }
    QDir(cache).mkpath(QStringLiteral("scans"));
    return QDir(cache).filePath(
            QStringLiteral("scans/%1-%2.bin").arg(directory.fileName(), QString::fromLatin1(key)));
}

}  // namespace gyrus
