#pragma once
// A JSON object read from a file, with one message naming the file and the problem.

#include "core/base/status.h"

#include <QJsonObject>
#include <QString>

namespace gyrus {

/// The top-level object of `path`: NotFound when the file is missing, InvalidInput when it cannot
/// be read, is not JSON (with the offset) or is not an object.
Result<QJsonObject> readJsonObjectFile(const QString &path);

}  // namespace gyrus
