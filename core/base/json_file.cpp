#include "core/base/json_file.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>

namespace gyrus {

Result<QJsonObject> readJsonObjectFile(const QString &path)
{
    QFile file(path);
    if (!file.exists()) {
        return Status::notFound(QStringLiteral("%1: no such file").arg(path));
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::invalidInput(QStringLiteral("%1: cannot read").arg(path));
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError) {
        return Status::invalidInput(QStringLiteral("%1: invalid JSON at offset %2: %3")
                                            .arg(path)
                                            .arg(error.offset)
                                            .arg(error.errorString()));
    }
    if (!document.isObject()) {
        return Status::invalidInput(QStringLiteral("%1: expected a JSON object").arg(path));
    }
    return document.object();
}

}  // namespace gyrus
