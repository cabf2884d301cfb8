// gyrus-cli env: the numerical runtime of this machine, as JSON.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/base/version.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"

#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runEnv(const QStringList &arguments)
{
    const QString name = QStringLiteral("env");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Print the runtime Gyrus computes with: LibTorch version, BLAS library, threads, "
            "CUDA devices; and check that a matrix product is exact."));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const gpu::RuntimeInfo info = gpu::runtimeInfo();
    const Result<double> check = gpu::matmulSelfCheck(64);
    if (!check) {
        return failWith(name, check.status());
    }
    QJsonObject json;
    json[QStringLiteral("gyrus_version")] = versionString();
    json[QStringLiteral("qt_version")] = QString::fromLatin1(qVersion());
    json[QStringLiteral("torch_version")] = info.torchVersion;
    json[QStringLiteral("blas_library")] = info.blasLibrary;
    json[QStringLiteral("blas_optimised")] = info.blasIsOptimised;
    // OpenBLAS's kernel set (empty for MKL): "Prescott" on a recent CPU is the slow fallback.
    json[QStringLiteral("blas_kernels")] = gpu::openBlasCoreName();
    json[QStringLiteral("intra_op_threads")] = info.intraOpThreads;
    json[QStringLiteral("cuda_available")] = info.cudaAvailable;
    json[QStringLiteral("cuda_devices")] = info.cudaDeviceCount;
    json[QStringLiteral("matmul_self_check_max_error")] = check.value();
    printJson(json);
    return check.value() == 0.0 ? kExitOk
                                : fail(name, QStringLiteral("matrix product self-check failed"),
                                       kExitInternalError);
}

}  // namespace

Command envCommand()
{
    return {QStringLiteral("env"),
            QStringLiteral("Show the numerical runtime (torch, BLAS, CUDA)."), &runEnv};
}

}  // namespace gyrus::cli
