// bench_mixed_precision: bf16 mixed precision against float32 on the same data, in one run.
//
// Forward: the demo model's held-out cross-entropy (nats/token) with float32 weights, with
// "bf16-autocast" (float32 weights, matmuls in bf16 under torch's autocast) and with bf16
// weights, and the largest logit difference to float32 on the same windows.
// SAE: one TopK SAE trained twice from the same seed on the same activations (the demo model's
// blocks.1.hook_resid_post over the held-out text): float32, and bf16 matmuls with float32
// master weights and Adam state (SaeTrainingConfig::precision, with precisionOnCpu on a CPU).
// Each trained SAE's explained variance and normalised MSE on rows it never saw, and the
// seconds per step of both (a same-run ratio).
// Usage: bench_mixed_precision [--device cpu|cuda] [--steps N] [--d-sae N] [--lines N]
//                              [--threads T]
// Run with OMP_NUM_THREADS=1 (and --threads 1) where the figure is compared across builds.

#include "gpu/lm/lm_eval.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/training/sae_trainer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdio>
#include <memory>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

const QString kDemoModel = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model");
const QString kHeldout = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt");
const QString kHook = QStringLiteral("blocks.1.hook_resid_post");
constexpr int kWindow = 64;

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "bench_mixed_precision: %s\n", qPrintable(message));
    std::exit(1);
}

template <typename T>
T take(Result<T> result)
{
    if (!result) {
        fail(result.status().message());
    }
    return std::move(result).value();
}

std::unique_ptr<LanguageModel> loadDemo(const QString &device, Dtype dtype)
{
    LoadOptions options;
    options.device = device;
    options.dtype = dtype;
    return take(LanguageModel::load(kDemoModel, options));
}

// Consecutive windows of the corpus (each starts wherever the previous ended).
std::vector<std::vector<int>> windows(const TokenCorpus &corpus, int count)
{
    std::vector<std::vector<int>> out;
    for (size_t start = 0; start + kWindow <= corpus.tokens.size() && int(out.size()) < count;
         start += kWindow) {
        out.emplace_back(corpus.tokens.begin() + start, corpus.tokens.begin() + start + kWindow);
    }
    return out;
}

double maxLogitDifference(const LanguageModel &a, const LanguageModel &b,
                          const std::vector<std::vector<int>> &sequences)
{
    double worst = 0.0;
    for (const std::vector<int> &tokens : sequences) {
        const ForwardOutput x = take(a.forward(tokens, {}));
        const ForwardOutput y = take(b.forward(tokens, {}));
        for (size_t i = 0; i < x.logits.values.size(); ++i) {
            worst = std::max(worst, double(std::abs(x.logits.values[i] - y.logits.values[i])));
        }
    }
    return worst;
}

at::Tensor hookActivations(const LanguageModel &model,
                           const std::vector<std::vector<int>> &sequences)
{
    ForwardOptions options;
    options.captures = {kHook};
    options.logits = false;
    std::vector<at::Tensor> rows;
    for (size_t i = 0; i < sequences.size(); i += 16) {
        const std::vector<std::vector<int>> batch(
                sequences.begin() + i, sequences.begin() + std::min(sequences.size(), i + 16));
        for (const ForwardOutput &out : take(model.forwardBatch(batch, options))) {
            const FloatTensor &a = out.activations.at(kHook);
            rows.push_back(at::tensor(a.values).view({a.shape[0], a.shape[1]}));
        }
    }
    return at::cat(rows);
}

struct SaeRun
{
    double explainedVariance = 0;
    double normalizedMse = 0;
    double finalLoss = 0;
    double secondsPerStep = 0;
};

SaeRun trainSae(const at::Tensor &train, const at::Tensor &test, Dtype precision,
                const QString &device, int64_t steps, int64_t dSae)
{
    SaeTrainingConfig config;
    config.sae.architecture = SaeArchitecture::TopK;
    config.sae.dIn = train.size(1);
    config.sae.dSae = dSae;
    config.sae.k = 16;
    config.sae.hookName = kHook;
    config.batchSize = 1024;
    config.totalTokens = config.batchSize * steps;
    config.seed = 11;
    config.device = device;
    config.precision = precision;
    config.precisionOnCpu = true;
    config.metricsEverySteps = std::max<int64_t>(1, steps / 5);
    auto trainer = take(SaeTrainer::create(config, gpu::detail::makeTensorSource(train, 5)));
    SaeTrainMetrics last;
    trainer->setMetricsCallback([&](const SaeTrainMetrics &m) { last = m; });
    QElapsedTimer timer;
    timer.start();
    while (!trainer->isFinished()) {
        if (const Status status = trainer->step(steps); !status.isOk()) {
            fail(status.message());
        }
    }
    SaeRun run;
    run.secondsPerStep = timer.nsecsElapsed() / 1e9 / double(steps);
    run.finalLoss = last.loss;
    // The exported SAE in float32 on rows it never trained on, in double for the sums.
    const std::shared_ptr<gpu::detail::SaeModule> module = trainer->exportModule();
    const at::Tensor x = test.to(module->weights().wEnc.device());
    const at::Tensor residual = (module->reconstruct(x) - x).to(at::kDouble);
    const at::Tensor centred = (x - x.mean(0)).to(at::kDouble);
    run.explainedVariance =
            1.0 - residual.square().sum().item<double>() / centred.square().sum().item<double>();
    run.normalizedMse = residual.square().sum().item<double>() /
                        x.to(at::kDouble).square().sum().item<double>();
    return run;
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString device = QStringLiteral("cpu");
    int64_t steps = 300;
    int64_t dSae = 3072;
    int lines = 4000;
    int threads = 0;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        const QString &flag = args[i];
        const QString &value = args[i + 1];
        if (flag == QLatin1String("--device")) {
            device = value;
        } else if (flag == QLatin1String("--steps")) {
            steps = value.toLongLong();
        } else if (flag == QLatin1String("--d-sae")) {
            dSae = value.toLongLong();
        } else if (flag == QLatin1String("--lines")) {
            lines = value.toInt();
        } else if (flag == QLatin1String("--threads")) {
            threads = value.toInt();
        } else {
            fail(QStringLiteral("unknown option %1").arg(flag));
        }
    }
    if (threads > 0) {
        at::set_num_threads(threads);
    }

    const std::unique_ptr<LanguageModel> fp32 = loadDemo(device, Dtype::Float32);
    const std::unique_ptr<LanguageModel> autocast = loadDemo(device, Dtype::BFloat16Autocast);
    const std::unique_ptr<LanguageModel> bf16 = loadDemo(device, Dtype::BFloat16);
    const TokenCorpus corpus = take(encodeTextFile(kHeldout, fp32->tokenizer(), lines));

    QJsonObject forward;
    const int evalSequences = 64;
    const double ceFp32 = take(languageModelCrossEntropy(*fp32, corpus, kWindow, evalSequences));
    const double ceAutocast =
            take(languageModelCrossEntropy(*autocast, corpus, kWindow, evalSequences));
    const double ceBf16 = take(languageModelCrossEntropy(*bf16, corpus, kWindow, evalSequences));
    const std::vector<std::vector<int>> all = windows(corpus, 1 << 30);
    const std::vector<std::vector<int>> few(all.begin(),
                                            all.begin() + std::min<size_t>(8, all.size()));
    forward[QStringLiteral("cross_entropy_fp32")] = ceFp32;
    forward[QStringLiteral("cross_entropy_bf16_autocast")] = ceAutocast;
    forward[QStringLiteral("cross_entropy_bf16_weights")] = ceBf16;
    forward[QStringLiteral("cross_entropy_difference_bf16_autocast")] = ceAutocast - ceFp32;
    forward[QStringLiteral("cross_entropy_difference_bf16_weights")] = ceBf16 - ceFp32;
    forward[QStringLiteral("max_abs_logit_difference_bf16_autocast")] =
            maxLogitDifference(*fp32, *autocast, few);
    forward[QStringLiteral("max_abs_logit_difference_bf16_weights")] =
            maxLogitDifference(*fp32, *bf16, few);
    forward[QStringLiteral("windows")] = evalSequences;
    forward[QStringLiteral("window_tokens")] = kWindow;

    // Activations from the float32 model; the last eighth is held out of training.
    const at::Tensor rows = hookActivations(*fp32, all);
    const int64_t testRows = rows.size(0) / 8;
    const at::Tensor train = rows.narrow(0, 0, rows.size(0) - testRows).contiguous();
    const at::Tensor test = rows.narrow(0, rows.size(0) - testRows, testRows).contiguous();
    const SaeRun a = trainSae(train, test, Dtype::Float32, device, steps, dSae);
    const SaeRun b = trainSae(train, test, Dtype::BFloat16, device, steps, dSae);
    QJsonObject sae;
    sae[QStringLiteral("architecture")] = QStringLiteral("topk");
    sae[QStringLiteral("d_in")] = double(train.size(1));
    sae[QStringLiteral("d_sae")] = double(dSae);
    sae[QStringLiteral("k")] = 16;
    sae[QStringLiteral("batch")] = 1024;
    sae[QStringLiteral("steps")] = double(steps);
    sae[QStringLiteral("train_rows")] = double(train.size(0));
    sae[QStringLiteral("test_rows")] = double(testRows);
    sae[QStringLiteral("explained_variance_fp32")] = a.explainedVariance;
    sae[QStringLiteral("explained_variance_bf16")] = b.explainedVariance;
    sae[QStringLiteral("explained_variance_difference")] =
            b.explainedVariance - a.explainedVariance;
    sae[QStringLiteral("normalized_mse_fp32")] = a.normalizedMse;
    sae[QStringLiteral("normalized_mse_bf16")] = b.normalizedMse;
    sae[QStringLiteral("final_loss_fp32")] = a.finalLoss;
    sae[QStringLiteral("final_loss_bf16")] = b.finalLoss;
    sae[QStringLiteral("final_loss_ratio_bf16_over_fp32")] = b.finalLoss / a.finalLoss;
    sae[QStringLiteral("seconds_per_step_fp32")] = a.secondsPerStep;
    sae[QStringLiteral("seconds_per_step_bf16")] = b.secondsPerStep;
    sae[QStringLiteral("speed_ratio_bf16_over_fp32")] = a.secondsPerStep / b.secondsPerStep;

    const RuntimeInfo info = runtimeInfo();
    QJsonObject out;
    out[QStringLiteral("bench")] = QStringLiteral("mixed_precision");
    out[QStringLiteral("device")] = device;
    out[QStringLiteral("torch")] = info.torchVersion;
    out[QStringLiteral("intra_op_threads")] = at::get_num_threads();
    out[QStringLiteral("forward")] = forward;
    out[QStringLiteral("sae")] = sae;
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    return 0;
}
