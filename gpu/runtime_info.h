#pragma once

#include "core/status.h"

#include <QString>

namespace gyrus::gpu {

/// What the numerical runtime looks like on this machine: shown by `gyrus-cli env` and the
/// About box, and logged at start-up, because a slow BLAS or a missing CUDA device explains
/// most "why is it slow" reports.
struct RuntimeInfo
{
    QString torchVersion;          ///< e.g. "1.13.1"
    QString blasLibrary;           ///< path of the BLAS shared object loaded in this process
    bool blasIsOptimised = false;  ///< false for the reference BLAS (~20x slower matmuls)
    bool cudaAvailable = false;
    int cudaDeviceCount = 0;
    int intraOpThreads = 0;
};

/// Runs one small matmul (to make sure BLAS is loaded) and reports the runtime. Thread-safe.
RuntimeInfo runtimeInfo();

/// Multiplies an n×n matrix of known values by 2·I through torch and returns the largest
/// absolute deviation from the exact answer; 0 means the tensor library works. n must be > 0.
Result<double> matmulSelfCheck(int n);

}  // namespace gyrus::gpu
