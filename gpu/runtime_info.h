#pragma once

#include "core/base/status.h"

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

/// Sets torch's intra-op thread count to the number of cores unless OMP_NUM_THREADS is set, and
/// returns the count in force. libgomp was seen reporting one thread on a 2-core machine, which
/// halves matmul throughput (130 vs 223 GFLOP/s at 1024³). Call once at start-up, before any
/// torch work, from the thread that will run it (or the main thread).
int configureThreads();

/// Runs one small matmul (to make sure BLAS is loaded) and reports the runtime. Thread-safe.
RuntimeInfo runtimeInfo();

/// Multiplies an n×n matrix of known values by 2·I through torch and returns the largest
/// absolute deviation from the exact answer; 0 means the tensor library works. n must be > 0.
Result<double> matmulSelfCheck(int n);

}  // namespace gyrus::gpu
