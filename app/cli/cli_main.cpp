// gyrus-cli: the headless Gyrus (QCoreApplication, no display needed).

#include "app/cli/command_registry.h"
#include "core/version.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gyrus-cli"));
    QCoreApplication::setApplicationVersion(gyrus::versionString());
    return gyrus::cli::runCli(QCoreApplication::arguments());
}
