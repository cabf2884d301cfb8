#include "gpu/runtime_info.h"

#include <QFile>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <thread>

namespace gyrus::gpu {

namespace {

// The BLAS library is chosen at run time by Debian's alternatives system, so the only reliable
// answer is which shared object the dynamic loader actually mapped.
QString loadedBlasLibrary()
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly)) {
        return QString();
    }
    const QList<QByteArray> lines = maps.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const int slash = line.indexOf('/');
        if (slash < 0) {
            continue;
        }
        const QByteArray path = line.mid(slash);
        if (path.contains("libblas") || path.contains("libopenblas") || path.contains("libmkl")) {
            return QString::fromUtf8(path);
        }
    }
    return QString();
}

// Upstream LibTorch links MKL statically into libtorch_cpu, so no BLAS library is mapped.
QString builtInBlasLibrary()
{
    return at::hasMKL() ? QStringLiteral("MKL (linked into libtorch_cpu)") : QString();
}

}  // namespace

int configureThreads()
{
    if (qEnvironmentVariableIsEmpty("OMP_NUM_THREADS")) {
        const int cores = static_cast<int>(std::thread::hardware_concurrency());
        if (cores > 0) {
            at::set_num_threads(cores);
        }
    }
    return at::get_num_threads();
}

RuntimeInfo runtimeInfo()
{
    // Touch BLAS so that it is mapped before we look for it.
    (void)at::mm(at::ones({8, 8}), at::ones({8, 8}));

    RuntimeInfo info;
    info.torchVersion = QString::fromLatin1(TORCH_VERSION);
    info.blasLibrary = loadedBlasLibrary();
    if (info.blasLibrary.isEmpty()) {
        info.blasLibrary = builtInBlasLibrary();
    }
    info.blasIsOptimised = info.blasLibrary.contains(QLatin1String("openblas")) ||
                           info.blasLibrary.contains(QLatin1String("mkl"), Qt::CaseInsensitive) ||
                           info.blasLibrary.contains(QLatin1String("blis"));
    info.cudaAvailable = torch::cuda::is_available();
    info.cudaDeviceCount = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
    info.intraOpThreads = at::get_num_threads();
    return info;
}

Result<double> matmulSelfCheck(int n)
{
    if (n <= 0) {
        return Status::invalidInput(QStringLiteral("matrix size must be positive, got %1").arg(n));
    }
    const at::Tensor a = at::arange(static_cast<int64_t>(n) * n, at::kFloat).reshape({n, n});
    const at::Tensor twoIdentity = at::eye(n, at::kFloat) * 2.0;
    const at::Tensor product = at::mm(a, twoIdentity);
    return (product - a * 2.0).abs().max().item<double>();
}

}  // namespace gyrus::gpu
