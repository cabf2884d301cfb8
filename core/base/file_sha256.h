#pragma once
// The SHA-256 of a file's bytes as lowercase hex, for provenance checks (caches, workspaces).

#include <QByteArray>
#include <QCryptographicHash>
#include <QFile>
#include <QString>

namespace gyrus {

/// Empty when the file cannot be read.
inline QByteArray fileSha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return QByteArray();
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

}  // namespace gyrus
