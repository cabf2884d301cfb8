#pragma once

#include <QString>

namespace gyrus::test {

/// Absolute path of a file under tests/data.
QString dataPath(const QString &relative);

/// Absolute path of a file in the source tree.
QString sourcePath(const QString &relative);

/// Absolute path of a file under ../shared (the seed prompt sets, references).
QString sharedPath(const QString &relative);

}  // namespace gyrus::test
