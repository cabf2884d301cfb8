#pragma once

// Paths are compiled into this one file only: a path in every test's compile line would make each
// git worktree's test objects miss the shared compiler cache.

#include <QString>

namespace gyrus::test {

/// Absolute path of a file under tests/data.
QString dataPath(const QString &relative);

/// Absolute path of a file in the source tree.
QString sourcePath(const QString &relative);

/// Absolute path of a file under ../shared (the seed prompt sets, references).
QString sharedPath(const QString &relative);

/// The gyrus-cli and gyrus executables of this build tree.
QString cliPath();
QString guiPath();

}  // namespace gyrus::test
