#include "core/base/file_fingerprint.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QMutex>

namespace gyrus {

namespace {

constexpr qint64 kWholeFileLimit = 64LL * 1024 * 1024;
constexpr quint64 kMaxSafetensorsHeader = 100ULL * 1024 * 1024;

bool fingerprinted(const QFileInfo &file)
{
    const QString name = file.fileName();
    return name.endsWith(QLatin1String(".json")) || name.endsWith(QLatin1String(".safetensors")) ||
           name == QLatin1String("tokenizer.model") || name == QLatin1String("merges.txt") ||
           name.endsWith(QLatin1String(".npz"));
}

/// Adds the file (or, for a big safetensors file, its header and size) to `hash`.
Status addFile(QCryptographicHash &hash, const QFileInfo &info, bool *partial)
{
    QFile file(info.absoluteFilePath());
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(QStringLiteral("cannot read %1: %2")
                                            .arg(info.absoluteFilePath(), file.errorString()));
    }
    hash.addData(info.fileName().toUtf8());
    hash.addData(QByteArray::number(info.size()));
    if (info.size() <= kWholeFileLimit) {
        if (!hash.addData(&file)) {
            return Status::invalidInput(
                    QStringLiteral("cannot read %1").arg(info.absoluteFilePath()));
        }
        return Status::ok();
    }
    if (!info.fileName().endsWith(QLatin1String(".safetensors"))) {
        // Big non-weight files (rare): their first and last MiB.
        hash.addData(file.read(1 << 20));
        file.seek(info.size() - (1 << 20));
        hash.addData(file.read(1 << 20));
        *partial = true;
        return Status::ok();
    }
    const QByteArray length = file.read(8);
    if (length.size() != 8) {
        return Status::invalidInput(
                QStringLiteral("%1: truncated safetensors file").arg(info.absoluteFilePath()));
    }
    quint64 headerSize = 0;
    for (int i = 7; i >= 0; --i) {
        headerSize = (headerSize << 8) | static_cast<quint8>(length[i]);
    }
    if (headerSize > kMaxSafetensorsHeader || headerSize + 8 > quint64(info.size())) {
        return Status::invalidInput(QStringLiteral("%1: safetensors header length %2 is invalid")
                                            .arg(info.absoluteFilePath())
                                            .arg(headerSize));
    }
    hash.addData(length);
    hash.addData(file.read(static_cast<qint64>(headerSize)));
    *partial = true;
    return Status::ok();
}

}  // namespace

Result<DirectoryFingerprint> fingerprintDirectory(const QString &path)
{
    const QFileInfo root(path);
    if (!root.exists()) {
        return Status::notFound(QStringLiteral("%1 does not exist").arg(path));
    }
    QFileInfoList files;
    if (root.isDir()) {
        files = QDir(path).entryInfoList(QDir::Files, QDir::Name);
        QFileInfoList kept;
        for (const QFileInfo &file : files) {
            if (fingerprinted(file)) {
                kept << file;
            }
        }
        files = kept;
    } else {
        files << root;
    }
    // The cache key covers every file's size and time, so a changed file is hashed again.
    QString key = root.absoluteFilePath();
    for (const QFileInfo &file : files) {
        key += QStringLiteral("|%1:%2:%3")
                       .arg(file.fileName())
                       .arg(file.size())
                       .arg(file.lastModified().toMSecsSinceEpoch());
    }
    static QMutex mutex;
    static QHash<QString, DirectoryFingerprint> cache;
    {
        QMutexLocker lock(&mutex);
        const auto cached = cache.constFind(key);
        if (cached != cache.cend()) {
            return cached.value();
        }
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    bool partial = false;
    for (const QFileInfo &file : files) {
        if (Status added = addFile(hash, file, &partial); !added.isOk()) {
            return added;
        }
    }
    DirectoryFingerprint fingerprint;
    fingerprint.sha256 = QString::fromLatin1(hash.result().toHex());
    fingerprint.method =
            partial ? QStringLiteral("json + safetensors headers") : QStringLiteral("whole files");
    QMutexLocker lock(&mutex);
    cache.insert(key, fingerprint);
    return fingerprint;
}

}  // namespace gyrus
