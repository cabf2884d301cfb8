#pragma once
// Debian bookworm's OpenBLAS (0.3.21) picks its kernels by CPU model when it loads and falls back
// to the generic "Prescott" (SSE3) kernels on a CPU newer than itself, such as Emerald Rapids
// (family 6, model 207): float32 GEMMs then run ~3.5x slower than with its AVX-512 "SkylakeX"
// kernels on the same CPU (bench/forward/README.md). OpenBLAS reads OPENBLAS_CORETYPE only while it
// loads, so useNativeBlasKernels() sets it and starts the program again. Header-only (no torch):
// only the executables' main() and the runtime report include it.

#include <QString>

#include <cstdlib>

#include <dlfcn.h>
#include <unistd.h>

namespace gyrus::gpu {

/// The OpenBLAS core type to ask for instead of `current` ("Prescott", "Haswell", ...), or an
/// empty string to keep it: only OpenBLAS's fallback for an unrecognised CPU is replaced, and only
/// with kernels whose instructions the CPU and the operating system support (`avx512`: F, CD, BW,
/// DQ and VL; `avx2Fma`: AVX2 and FMA).
inline QString nativeBlasCoreFor(const QString &current, bool avx512, bool avx2Fma)
{
    if (current.compare(QLatin1String("Prescott"), Qt::CaseInsensitive) != 0) {
        return QString();
    }
    if (avx512) {
        return QStringLiteral("SkylakeX");
    }
    return avx2Fma ? QStringLiteral("Haswell") : QString();
}

/// The kernels the OpenBLAS in this process runs ("SkylakeX"), or an empty string when the BLAS
/// is not OpenBLAS (upstream LibTorch has MKL linked in).
inline QString openBlasCoreName()
{
    using CoreName = char *(*)();
    const auto coreName = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    return coreName ? QString::fromLatin1(coreName()) : QString();
}

/// Call first in main(), with main's argv, before any thread or window exists. When OpenBLAS runs
/// its fallback kernels on a CPU with AVX-512 (or AVX2 and FMA) and OPENBLAS_CORETYPE is unset,
/// re-executes this program with OPENBLAS_CORETYPE naming the matching kernels; otherwise (or if
/// the re-execution fails) returns and the program goes on as it is. A user's OPENBLAS_CORETYPE
/// is kept as it is, and the variable set here stops a second re-execution.
inline void useNativeBlasKernels(char **argv)
{
    if (!argv || !argv[0] || std::getenv("OPENBLAS_CORETYPE")) {
        return;
    }
    const QString current = openBlasCoreName();
    if (current.isEmpty()) {
        return;
    }
    // libgcc's feature bits include the operating system's XSAVE support for these registers.
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                        __builtin_cpu_supports("avx512vl");
    const bool avx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const QString core = nativeBlasCoreFor(current, avx512, avx2Fma);
    if (core.isEmpty()) {
        return;
    }
    ::setenv("OPENBLAS_CORETYPE", core.toLatin1().constData(), 1);
    ::execv("/proc/self/exe", argv);
    // Not re-executed (the binary was replaced or removed while running): keep the slow kernels.
    ::unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace gyrus::gpu
