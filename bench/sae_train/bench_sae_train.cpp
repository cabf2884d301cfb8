// bench_sae_train: SAE training throughput (tokens/s) next to the throughput of plain matmuls of
// the same shapes, measured in the same run. A dense training step performs five matmuls of
// 2·B·d·n FLOPs each (encoder forward, decoder forward, ∂f = ∂x̂·W_decᵀ, ∂W_dec = fᵀ·∂x̂,
// ∂W_enc = xᵀ·∂pre), 10·d·n FLOPs per token. Reported:
//   matmul_fraction = (time of those five plain matmuls) / (time of one training step)
//                   = achieved FLOP/s ÷ matmul FLOP/s with 10·d·n FLOPs per token;
//   ratio_6dn       = tokens/s · 6·d·n ÷ matmul FLOP/s (the convention; 0.6 is its
//                     ceiling for any implementation that performs the five matmuls).
// Both count the dense FLOPs. ReLU and JumpReLU perform the five matmuls, so 0.6 is their exact
// ceiling (reached when everything else in a step costs nothing); TopK and BatchTopK work on the
// k·B active entries on the CPU (sparse decode and backward), so they exceed it.
// Steps are timed one by one and the fastest is reported next to the median, as the matmul
// reference is the best of three: on a shared machine the best case is the comparable figure.
// Usage: bench_sae_train [--arch relu|topk|batchtopk|jumprelu|all] [--steps N] [--d-in D]
//                        [--d-sae N] [--batch B] [--k K] [--device cpu|cuda] [--threads T]

#include "gpu/runtime_info.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/training/sae_trainer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

void synchronise(const at::Device &device)
{
    if (device.is_cuda()) {
        // A tiny host copy waits for the queued kernels without needing CUDA headers.
        at::zeros({1}, at::TensorOptions().device(device)).to(at::kCPU);
    }
}

// Seconds per call of `work`, best of `repeats` after one warm-up.
template <typename F>
double bestSeconds(F &&work, int repeats, const at::Device &device)
{
    work();
    synchronise(device);
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        QElapsedTimer timer;
        timer.start();
        work();
        synchronise(device);
        best = std::min(best, timer.nsecsElapsed() / 1e9);
    }
    return best;
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    configureThreads();
    const QStringList args = app.arguments();
    auto option = [&](const QString &name, const QString &fallback) {
        const qsizetype i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args[i + 1] : fallback;
    };
    if (const int threads = option(QStringLiteral("--threads"), QStringLiteral("0")).toInt();
        threads > 0) {
        at::set_num_threads(threads);
    }
    const int64_t d = option(QStringLiteral("--d-in"), QStringLiteral("256")).toLongLong();
    const int64_t n = option(QStringLiteral("--d-sae"), QStringLiteral("4096")).toLongLong();
    const int64_t batch = option(QStringLiteral("--batch"), QStringLiteral("4096")).toLongLong();
    const int64_t k = option(QStringLiteral("--k"), QStringLiteral("32")).toLongLong();
    const int steps = option(QStringLiteral("--steps"), QStringLiteral("5")).toInt();
    const QString deviceName = option(QStringLiteral("--device"), QStringLiteral("cpu"));
    const QString archOption = option(QStringLiteral("--arch"), QStringLiteral("all"));
    const at::Device device(deviceName.toStdString());
    if (device.is_cuda() && !at::hasCUDA()) {
        std::fprintf(stderr, "bench_sae_train: no CUDA device in this LibTorch\n");
        return 2;
    }

    // The reference: the five matmuls of a dense step, plain, float32 (bf16 on CUDA, as the
    // trainer's autocast runs them).
    const at::ScalarType type = device.is_cuda() ? at::kBFloat16 : at::kFloat;
    const auto options = at::TensorOptions().dtype(type).device(device);
    const at::Tensor x = at::randn({batch, d}, options);
    const at::Tensor wEnc = at::randn({d, n}, options);
    const at::Tensor f = at::randn({batch, n}, options);
    const at::Tensor wDec = at::randn({n, d}, options);
    const at::Tensor g = at::randn({batch, d}, options);
    const double matmulSeconds = bestSeconds(
            [&] {
                at::mm(x, wEnc);
                at::mm(f, wDec);
                at::mm(g, wDec.t());
                at::mm(f.t(), g);
                at::mm(x.t(), f);
            },
            3, device);
    const double matmulFlops = 5.0 * 2.0 * batch * d * n / matmulSeconds;

    const RuntimeInfo runtime = runtimeInfo();
    QJsonObject report;
    report[QStringLiteral("d_in")] = static_cast<double>(d);
    report[QStringLiteral("d_sae")] = static_cast<double>(n);
    report[QStringLiteral("batch")] = static_cast<double>(batch);
    report[QStringLiteral("device")] = deviceName;
    report[QStringLiteral("threads")] = runtime.intraOpThreads;
    report[QStringLiteral("blas")] = runtime.blasLibrary;
    report[QStringLiteral("matmul_gflops")] = matmulFlops / 1e9;
    report[QStringLiteral("matmul_step_seconds")] = matmulSeconds;

    // Training data: 4 batches of random activations, cycled by the shuffled source.
    const at::Tensor data = at::randn({4 * batch, d});
    QJsonArray results;
    const QStringList archs =
            archOption == QLatin1String("all")
                    ? QStringList{QStringLiteral("relu"), QStringLiteral("topk"),
                                  QStringLiteral("batchtopk"), QStringLiteral("jumprelu")}
                    : QStringList{archOption};
    for (const QString &archName : archs) {
        const auto architecture = fromName<SaeArchitecture>(archName);
        if (!architecture) {
            std::fprintf(stderr, "bench_sae_train: unknown --arch %s\n", qPrintable(archName));
            return 2;
        }
        SaeTrainingConfig config;
        config.sae.architecture = *architecture;
        config.sae.dIn = d;
        config.sae.dSae = n;
        config.sae.k = k;
        config.batchSize = batch;
        config.totalTokens = batch * (steps + 2);
        config.device = deviceName;
        config.normalisationTokens = batch;
        config.metricsEverySteps = 1000000;
        auto trainer = SaeTrainer::create(config, gpu::detail::makeTensorSource(data, 1));
        if (!trainer) {
            std::fprintf(stderr, "bench_sae_train: %s\n", qPrintable(trainer.status().message()));
            return 1;
        }
        trainer.value()->step(2);  // warm-up: allocator, first-touch pages, workspace
        synchronise(device);
        std::vector<double> stepTimes;
        for (int i = 0; i < steps; ++i) {
            QElapsedTimer timer;
            timer.start();
            trainer.value()->step(1);
            synchronise(device);
            stepTimes.push_back(timer.nsecsElapsed() / 1e9);
        }
        std::sort(stepTimes.begin(), stepTimes.end());
        const double stepSeconds = stepTimes.front();
        const double medianSeconds = stepTimes[stepTimes.size() / 2];
        const double tokensPerSecond = batch / stepSeconds;
        QJsonObject row;
        row[QStringLiteral("arch")] = archName;
        row[QStringLiteral("step_seconds")] = stepSeconds;
        row[QStringLiteral("median_step_seconds")] = medianSeconds;
        row[QStringLiteral("tokens_per_second")] = tokensPerSecond;
        row[QStringLiteral("achieved_gflops_10dn")] = tokensPerSecond * 10.0 * d * n / 1e9;
        row[QStringLiteral("matmul_fraction")] = matmulSeconds / stepSeconds;
        row[QStringLiteral("ratio_6dn")] = tokensPerSecond * 6.0 * d * n / matmulFlops;
        row[QStringLiteral("ratio_6dn_median")] = batch / medianSeconds * 6.0 * d * n / matmulFlops;
        results.append(row);
    }
    report[QStringLiteral("results")] = results;
    std::fputs(QJsonDocument(report).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
