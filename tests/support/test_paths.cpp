#include "tests/support/test_paths.h"

#include <QDir>

namespace gyrus::test {

QString dataPath(const QString &relative)
{
    return QDir(QStringLiteral(GYRUS_TEST_DATA_DIR)).filePath(relative);
}

QString sourcePath(const QString &relative)
{
    return QDir(QStringLiteral(GYRUS_SOURCE_DIR)).filePath(relative);
}

QString sharedPath(const QString &relative)
{
    return QDir::cleanPath(QStringLiteral(GYRUS_SOURCE_DIR "/../shared/") + relative);
}

QString cliPath()
{
    return QStringLiteral(GYRUS_CLI_PATH);
}

QString guiPath()
{
    return QStringLiteral(GYRUS_GUI_PATH);
}

}  // namespace gyrus::test
