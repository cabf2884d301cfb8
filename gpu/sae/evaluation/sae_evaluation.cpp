#include "gpu/sae/evaluation/sae_evaluation.h"

#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/sae_module.h"

#include <algorithm>

namespace gyrus::gpu {

Result<SaeEvalMetrics> evaluateSae(const detail::SaeModule &moduleIn,
                                   detail::ActivationSource &source, int64_t maxTokens,
                                   int64_t batchSize, const QString &device)
{
    if (moduleIn.config().dIn != source.columns()) {
        return Status::invalidInput(
                QStringLiteral("the SAE expects d_in = %1 but %2 has %3 columns")
                        .arg(moduleIn.config().dIn)
                        .arg(source.describe())
                        .arg(source.columns()));
    }
    if (device.startsWith(QLatin1String("cuda")) && !at::hasCUDA()) {
        return Status::invalidInput(
                QStringLiteral("device '%1' requested but this LibTorch has no CUDA device")
                        .arg(device));
    }
    const at::Device target(device.toStdString());
    const detail::SaeModule module = moduleIn.to(target);
    const int64_t total = maxTokens > 0 ? std::min(maxTokens, source.rows()) : source.rows();
    const int64_t n = module.config().dSae;
    const int64_t d = module.config().dIn;
    // Sums in float64: the variance is Σ‖x‖² − N‖x̄‖², which loses digits in float32.
    const auto f64 = at::TensorOptions().dtype(at::kDouble).device(target);
    at::Tensor sumX = at::zeros({d}, f64);
    at::Tensor sums = at::zeros({5}, f64);  // Σ‖x−x̂‖², Σ‖x‖², Σ l0, Σ l1, Σ cos
    at::Tensor fired = at::zeros({n}, f64.dtype(at::kLong));
    if (Status rewound = source.seek(0); !rewound.isOk()) {
        return rewound;
    }
    int64_t done = 0;
    while (done < total) {
        const int64_t count = std::min(batchSize, total - done);
        Result<at::Tensor> batch = source.next(count);
        if (!batch) {
            return batch.status();
        }
        const at::Tensor x = batch.value().to(target);
        const at::Tensor f = module.encode(x);
        const at::Tensor xHat = module.decodeFor(f, x);
        const at::Tensor active = f > 0;
        sumX.add_(x.sum(0).to(at::kDouble));
        const at::Tensor cosine =
                (x * xHat).sum(1) / (x.norm(2, {1}) * xHat.norm(2, {1})).clamp_min(1e-12);
        sums.add_(at::stack({(xHat - x).square().sum(), x.square().sum(),
                             active.sum().to(at::kFloat), f.sum(), cosine.sum()})
                          .to(at::kDouble));
        fired.add_(active.sum(0));
        done += count;
    }
    const at::Tensor s = sums.to(at::kCPU);
    const double tokens = static_cast<double>(done);
    const double error = s[0].item<double>();
    const double squaredNorm = s[1].item<double>();
    const double variance = squaredNorm - sumX.square().sum().item<double>() / tokens;
    SaeEvalMetrics m;
    m.tokens = done;
    m.explainedVariance = variance > 0 ? 1.0 - error / variance : 0.0;
    m.msePerToken = error / tokens;
    m.mse = m.msePerToken / static_cast<double>(d);
    m.normalizedMse = squaredNorm > 0 ? error / squaredNorm : 0.0;
    m.l0 = s[2].item<double>() / tokens;
    m.l1 = s[3].item<double>() / tokens;
    m.cosineSimilarity = s[4].item<double>() / tokens;
    m.deadFraction = (fired == 0).sum().item<int64_t>() / static_cast<double>(n);
    m.denseFraction =
            (fired.to(at::kDouble) / tokens > 0.1).sum().item<int64_t>() / static_cast<double>(n);
    return m;
}

}  // namespace gyrus::gpu
