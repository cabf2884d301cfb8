// gyrus-cli: the headless Gyrus (QCoreApplication, no display needed).

#include "app/cli/command_registry.h"
#include "core/base/version.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    gyrus::gpu::useNativeBlasKernels(argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gyrus-cli"));
    QCoreApplication::setApplicationVersion(gyrus::versionString());
    gyrus::gpu::configureThreads();
    return gyrus::cli::runCli(QCoreApplication::arguments());
}
