// How Gyrus's cost grows with the size of the model and of the SAE, on real shapes with random
// weights (no hub here): a 124M Llama-shaped model, Gemma-2-2B and Llama-3.1-8B, each a sharded
// bf16 checkpoint; JumpReLU SAEs of 16k to 262k features. Prints JSON.
//
//   bench_scale write-model PRESET DIR          a random sharded bf16 checkpoint (+ demo tokenizer)
//   bench_scale write-sae DIR D_IN D_SAE HOOK   a random JumpReLU SAE (SAELens layout, fp32)
//   bench_scale rung DIR LAYER TOKENS [W ...]   one model: open time, forward to LAYER alone and
//                                               with an in-memory SAE of each width W encoding
//                                               the residual (batched, kept sparse; a bf16 SAE
//                                               exact and through the int8 screen on each int8
//                                               kernel the CPU runs), peak RSS
//   bench_scale engine DIR SAE_DIR              the app's engine on DIR (bf16) with the SAE:
//                                               heatmap, contrast and RSA on the demo prompt
//                                               sets, with times and peak RSS
//   bench_scale encoders D_IN D_SAE TOKENS     the encoder's [TOKENS x D_IN] x [D_IN x D_SAE]
//                                               product by each CPU kernel, GFLOP/s and ratios;
//                                               the sparse encode exact and int8-screened, the
//                                               screen's sums and bounds alone, per int8 kernel
//   bench_scale ladder ROOT [--widths W,...]    every preset found in ROOT/<preset>, one child
//                                               process per rung (so each peak RSS is its own)
//
// Ratios are measured in the same run: forward+encode tokens/s over forward alone; peak RSS over
// the bytes of weights the job touched. OMP_NUM_THREADS is reported with every figure.

#include "core/base/memory_budget.h"
#include "core/contrasts/contrast_requests.h"
#include "core/engine/engine_client.h"
#include "core/features/feature_inspector_types.h"
#include "core/features/token_analysis_types.h"
#include "core/prompts/prompt_set_io.h"
#include "core/rsa/rsa_requests.h"
#include "core/steering/clamp_set.h"
#include "core/steering/steering_types.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/transformer.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/bf16_dots.h"
#include "gpu/sae/int8_screen.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTimer>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "bench/scale/int8_dots_probe.h"
#include "bench/scale/model_presets.h"

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_scale: %s\n", qPrintable(message));
    return 1;
}

QString loadAverage();

void printJson(const QJsonObject &json)
{
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Indented).constData());
    std::fflush(stdout);
}

QString threadsNote()
{
    const QByteArray omp = qgetenv("OMP_NUM_THREADS");
    return omp.isEmpty() ? QStringLiteral("unset (torch uses every core)")
                         : QString::fromLatin1(omp);
}

/// A random JumpReLU SAE whose thresholds leave about 1 % of the latents active on random
/// residuals of unit variance per dimension. `encoderOnly`: W_dec is a view of W_enc's transpose
/// (encoding never reads it), so a timing run holds one matrix, not two.
std::shared_ptr<gpu::detail::SaeModule> randomSae(int64_t dIn, int64_t dSae, const QString &hook,
                                                  bool encoderOnly = false,
                                                  at::ScalarType dtype = at::kFloat)
{
    c10::InferenceMode guard;
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = dIn;
    config.dSae = dSae;
    config.hookName = hook;
    const auto options = at::TensorOptions().dtype(dtype);
    const auto vectors = at::TensorOptions().dtype(at::kFloat);  // biases stay float32
    gpu::detail::SaeWeights w;
    // Drawn in the target dtype and scaled in place: no second copy of the largest matrix. Held
    // as loadSae holds a bf16 encoder: the transpose of a [d_sae, d_in] matrix.
    w.wEnc = at::randn({dSae, dIn}, options).div_(std::sqrt(double(dIn))).t();
    w.bEnc = at::zeros({dSae}, vectors);
    w.wDec = encoderOnly ? w.wEnc.t() : w.wEnc.t().contiguous();
    w.bDec = at::zeros({dIn}, vectors);
    w.threshold = at::full({dSae}, 2.33, vectors);  // N(0,1) upper 1 % point
    return std::make_shared<gpu::detail::SaeModule>(config, w);
}

/// The int8 kernels of the encode screen that run on this CPU (AMX, AVX-512 VNNI), each with the
/// GYRUS_SAE_SCREEN_KERNEL value that selects it: the screened encode is measured on each in the
/// same run.
std::vector<std::pair<gpu::detail::Int8DotKernel, QByteArray>> screenKernels()
{
    std::vector<std::pair<gpu::detail::Int8DotKernel, QByteArray>> kernels;
    if (gpu::detail::int8DotKernelRuns(gpu::detail::Int8DotKernel::Avx512Vnni)) {
        kernels.emplace_back(gpu::detail::Int8DotKernel::Avx512Vnni, QByteArray("vnni"));
    }
    if (gpu::detail::int8DotKernelRuns(gpu::detail::Int8DotKernel::Amx)) {
        kernels.emplace_back(gpu::detail::Int8DotKernel::Amx, QByteArray("amx"));
    }
    return kernels;
}

/// The L0 (active latents per token) a random SAE of the rung is calibrated to: trained JumpReLU
/// SAEs fire tens to a few hundred latents per token (Gemma Scope's L0 is ~20-150), and the
/// encode's sparse output costs what it holds. BENCH_SCALE_L0 overrides it.
int64_t targetL0()
{
    const int64_t wanted = qEnvironmentVariableIntValue("BENCH_SCALE_L0");
    return wanted > 0 ? wanted : 64;
}

/// Sets a random JumpReLU SAE's encoder bias and thresholds from its pre-activations on
/// `calibration` residuals [T, d_in] so that about `l0` latents fire per token, as in a trained
/// SAE (the fixed threshold of randomSae assumes residuals of unit variance; a random model's
/// residual stream at layer 12 is far wider, and ~48 % of the latents fired). Each latent is
/// centred on its mean pre-activation over the first half of the tokens (b_enc = −mean) and fires
/// above z·its SD there, with z the value that leaves l0 per token of the second half's
/// standardised pre-activations above it (held out: on the tokens that set the mean and SD, z
/// comes out too small and new tokens fire several times l0). Returns the L0 on the second half.
double calibrateThresholds(gpu::detail::SaeModule &sae, const at::Tensor &calibration, int64_t l0)
{
    c10::InferenceMode guard;
    gpu::detail::SaeWeights &w = sae.mutableWeights();
    const at::Tensor pre =
            at::matmul(calibration.to(w.wEnc.scalar_type()), w.wEnc).to(at::kFloat) + w.bEnc;
    const int64_t half = pre.size(0) / 2;
    const at::Tensor fit = pre.narrow(0, 0, half);
    const at::Tensor heldOut = pre.narrow(0, half, pre.size(0) - half);
    const at::Tensor mean = fit.mean(0);
    const at::Tensor sd = fit.std(0, /*unbiased=*/true).clamp_min(1e-6);
    const at::Tensor standardised = (heldOut - mean) / sd;
    const int64_t above = std::clamp<int64_t>(l0 * heldOut.size(0), 1, standardised.numel());
    const double z = std::get<0>(at::topk(standardised.reshape(-1), above)).min().item<double>();
    w.bEnc.sub_(mean);
    w.threshold.copy_(sd * z);
    const at::Tensor tokens = calibration.narrow(0, half, pre.size(0) - half);
    return sae.encode(tokens).gt(0).sum().item<double>() / double(tokens.size(0));
}

std::vector<int> benchTokens(int64_t count, int vocab, int64_t offset = 13)
{
    std::vector<int> ids;
    for (int64_t i = 0; i < count; ++i) {
        ids.push_back(static_cast<int>((i * 7919 + offset) % (vocab - 3) + 3));
    }
    return ids;
}

int writeModel(const QString &preset, const QString &dir)
{
    const QByteArray config = bench::presetConfig(preset);
    if (config.isEmpty()) {
        return fail(QStringLiteral("unknown preset '%1' (%2)")
                            .arg(preset, bench::presetNames().join(QStringLiteral(", "))));
    }
    const auto start = Clock::now();
    // Four layers per shard: an 8B-shaped checkpoint is 8 shards of ~1.8 GB, written one at a
    // time so this process never holds more than one.
    const Status written =
            writeRandomShardedModel(dir, config, 17, DType::BF16, 4, -1, [](double fraction) {
                std::fprintf(stderr, "\rbench_scale: writing %3.0f %%", fraction * 100);
            });
    std::fprintf(stderr, "\n");
    if (!written.isOk()) {
        return fail(written.message());
    }
    const QString tokenizer =
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model/tokenizer.model");
    QFile::remove(QDir(dir).filePath(QStringLiteral("tokenizer.model")));
    QFile::copy(tokenizer, QDir(dir).filePath(QStringLiteral("tokenizer.model")));
    QJsonObject json;
    json[QStringLiteral("preset")] = preset;
    json[QStringLiteral("dir")] = dir;
    json[QStringLiteral("write_seconds")] = secondsSince(start);
    printJson(json);
    return 0;
}

int writeSae(const QString &dir, int64_t dIn, int64_t dSae, const QString &hook,
             const QString &dtype)
{
    if (dtype != QLatin1String("fp32") && dtype != QLatin1String("bf16")) {
        return fail(QStringLiteral("dtype must be fp32 or bf16, not '%1'").arg(dtype));
    }
    const auto sae = randomSae(dIn, dSae, hook, false,
                               dtype == QLatin1String("bf16") ? at::kBFloat16 : at::kFloat);
    if (Status saved = saveSae(*sae, dir); !saved.isOk()) {
        return fail(saved.message());
    }
    QJsonObject json;
    json[QStringLiteral("sae")] = dir;
    json[QStringLiteral("d_in")] = qint64(dIn);
    json[QStringLiteral("d_sae")] = qint64(dSae);
    json[QStringLiteral("dtype")] = dtype;
    printJson(json);
    return 0;
}

int rung(const QString &dir, int layer, int64_t tokens, const QList<int64_t> &widths)
{
    configureThreads();
    QJsonObject json;
    json[QStringLiteral("dir")] = dir;
    json[QStringLiteral("omp_num_threads")] = threadsNote();
    json[QStringLiteral("available_memory_bytes")] = availableMemoryBytes();
    json[QStringLiteral("load_average_before")] = loadAverage();
    json[QStringLiteral("bf16_encoder_kernel")] =
            gpu::detail::fastestBf16DotKernel() == gpu::detail::Bf16DotKernel::Avx512Bf16
                    ? QStringLiteral("avx512_bf16")
                    : QStringLiteral("libtorch matmul");
    resetPeakResidentBytes();
    const qint64 rssBefore = processStatusBytes("VmRSS");
    auto start = Clock::now();
    LoadOptions options;
    options.dtype = Dtype::BFloat16;
    auto loaded = LanguageModel::load(dir, options);
    if (!loaded) {
        return fail(loaded.status().message());
    }
    LanguageModel &model = *loaded.value();
    json[QStringLiteral("open_seconds")] = secondsSince(start);
    json[QStringLiteral("open_peak_rss_bytes")] = processStatusBytes("VmHWM") - rssBefore;
    const ModelInfo info = model.info();
    json[QStringLiteral("parameters")] = info.parameters;
    json[QStringLiteral("layers")] = info.layers;
    json[QStringLiteral("d_model")] = info.dModel;
    json[QStringLiteral("checkpoint_bytes")] = info.weightUse.checkpointBytes;
    layer = std::min(layer, info.layers - 1);
    json[QStringLiteral("layer")] = layer;
    json[QStringLiteral("tokens")] = qint64(tokens);
    // Best of BENCH_SCALE_REPEATS timed runs (default 3; 1 keeps an 8B rung within minutes).
    const int repeats = std::max(1, qEnvironmentVariableIntValue("BENCH_SCALE_REPEATS") > 0
                                            ? qEnvironmentVariableIntValue("BENCH_SCALE_REPEATS")
                                            : 3);
    json[QStringLiteral("repeats")] = repeats;

    gpu::detail::Transformer &network = model.tensorModel();
    const QString hook = QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
    const auto point = *gpu::detail::HookPoint::parse(hook, hookLayout(model.config()));
    const auto idTensor = [&](int64_t count, int64_t offset) {
        std::vector<int> idList = benchTokens(count, info.vocabSize, offset);
        return at::from_blob(idList.data(), {1, count}, at::kInt).to(at::kLong).clone();
    };
    const at::Tensor ids = idTensor(tokens, 13);
    const auto forwardOn = [&](const at::Tensor &input) {
        gpu::detail::HookSet hooks;
        hooks.capture(point);
        network.forward(input, &hooks, nullptr, gpu::detail::LogitsMode::None);
        return hooks.captured(point);
    };
    const auto forwardToLayer = [&]() { return forwardOn(ids); };
    try {
        // First forward: reads layers 0..L from the checkpoint.
        start = Clock::now();
        forwardToLayer();
        json[QStringLiteral("first_forward_seconds")] = secondsSince(start);
        const WeightUse use = model.info().weightUse;
        json[QStringLiteral("bytes_touched")] = use.bytesRead;
        json[QStringLiteral("shards_touched")] = use.shardsRead.size();
        json[QStringLiteral("shards")] = use.shards;
        json[QStringLiteral("tensors_touched")] = use.tensorsRead;
        json[QStringLiteral("tensors_total")] = use.tensorsTotal;
        const qint64 peak = processStatusBytes("VmHWM") - rssBefore;
        json[QStringLiteral("peak_rss_bytes")] = peak;
        json[QStringLiteral("peak_rss_over_bytes_touched")] =
                use.bytesRead > 0 ? double(peak) / double(use.bytesRead) : 0.0;
        double best = 1e300;
        for (int repeat = 0; repeat < repeats; ++repeat) {
            start = Clock::now();
            forwardToLayer();
            best = std::min(best, secondsSince(start));
        }
        const double forwardRate = double(tokens) / best;
        json[QStringLiteral("forward_tokens_per_second")] = forwardRate;
        // The multiply-adds per token of layers 0..L (their 2-D weights; the embedding is a
        // lookup), for the GFLOP/s figures.
        qint64 forwardParameters = 0;
        for (int l = 0; l <= layer; ++l) {
            const gpu::detail::LayerWeights &w = network.weights().layers[size_t(l)];
            for (const gpu::detail::LinearWeights *linear :
                 {&w.q, &w.k, &w.v, &w.qkv, &w.o, &w.gate, &w.up, &w.down}) {
                forwardParameters += linear->weight.defined() ? linear->weight.numel() : 0;
            }
        }
        json[QStringLiteral("forward_matrix_parameters")] = forwardParameters;
        // Other tokens than the timed ones set the SAEs' thresholds (calibrateThresholds).
        const at::Tensor calibration = [&] {
            c10::InferenceMode guard;
            return forwardOn(idTensor(128, 101)).reshape({-1, info.dModel}).to(at::kFloat);
        }();
        json[QStringLiteral("target_l0")] = qint64(targetL0());
        json[QStringLiteral("calibration_tokens")] = qint64(calibration.size(0));
        QJsonArray saes;
        // Forward alone and forward + encode in turns, the best of each: the ratio compares runs
        // a few seconds apart, whatever the machine's load does meanwhile.
        const auto measure = [&](const gpu::detail::SaeModule &sae, QJsonObject s) {
            const int64_t width = sae.config().dSae;
            double bestWith = 1e300;
            double bestAlone = 1e300;
            double bestEncode = 1e300;
            std::vector<double> paired;
            for (int repeat = 0; repeat < repeats; ++repeat) {
                start = Clock::now();
                forwardToLayer();
                const double alone = secondsSince(start);
                bestAlone = std::min(bestAlone, alone);
                start = Clock::now();
                c10::InferenceMode guard;
                const at::Tensor h = forwardToLayer().reshape({-1, info.dModel}).to(at::kFloat);
                // As the engine encodes (the heatmap): blocks of rows within the encode
                // budget, the active latents kept sparse, each dense block dropped.
                const auto encodeStart = Clock::now();
                const auto codes = sae.encodeSparse(h);
                bestEncode = std::min(bestEncode, secondsSince(encodeStart));
                s[QStringLiteral("l0_active_per_token")] =
                        double(codes.features.size()) / double(h.size(0));
                if (codes.screenCandidates >= 0) {
                    s[QStringLiteral("screen_candidates_per_token")] =
                            double(codes.screenCandidates) / double(h.size(0));
                }
                const double with = secondsSince(start);
                bestWith = std::min(bestWith, with);
                paired.push_back(alone / with);
            }
            const double withRate = double(tokens) / bestWith;
            s[QStringLiteral("forward_tokens_per_second")] = double(tokens) / bestAlone;
            s[QStringLiteral("forward_encode_tokens_per_second")] = withRate;
            s[QStringLiteral("ratio_vs_forward")] = withRate / (double(tokens) / bestAlone);
            // The same ratio of each repeat's two runs (a second apart), their median: on a
            // loaded machine the two bests can come from different moments, this pairs them.
            std::sort(paired.begin(), paired.end());
            s[QStringLiteral("paired_ratio_median")] =
                    (paired[(paired.size() - 1) / 2] + paired[paired.size() / 2]) / 2;
            // Where the time goes: the encode's share, and both rates in GFLOP/s (2 FLOP per
            // multiply-add: the layers' matrices per token, the encoder's d_in x d_sae; for the
            // screened encode the FLOP of the exact encode it replaces).
            s[QStringLiteral("encode_seconds")] = bestEncode;
            s[QStringLiteral("forward_gflops")] =
                    2.0 * double(forwardParameters) * double(tokens) / bestAlone / 1e9;
            s[QStringLiteral("encode_gflops")] =
                    2.0 * double(info.dModel) * double(width) * double(tokens) / bestEncode / 1e9;
            s[QStringLiteral("flop_ratio")] =
                    double(forwardParameters) / double(forwardParameters + info.dModel * width);
            std::fprintf(stderr, "bench_scale: %s\n",
                         QJsonDocument(s).toJson(QJsonDocument::Compact).constData());
            return s;
        };
        for (const int64_t width : widths) {
            for (const at::ScalarType dtype : {at::kBFloat16, at::kFloat}) {
                const qint64 encoderBytes = width * info.dModel * qint64(c10::elementSize(dtype));
                // fp32 encoders above 1.3 GB would take this process past ~8 GB next to the
                // 8B-shaped model's layers; bf16 (half the size) is measured at every width.
                if (dtype == at::kFloat && encoderBytes > 1'300'000'000) {
                    continue;
                }
                QJsonObject s;
                s[QStringLiteral("d_sae")] = qint64(width);
                s[QStringLiteral("sae_dtype")] =
                        dtype == at::kFloat ? QStringLiteral("fp32") : QStringLiteral("bf16");
                resetPeakResidentBytes();
                const qint64 rssWithout = processStatusBytes("VmRSS");
                const auto sae = randomSae(info.dModel, width, hook, /*encoderOnly=*/true, dtype);
                s[QStringLiteral("calibration_l0")] =
                        calibrateThresholds(*sae, calibration, targetL0());
                // b_dec at the calibration tokens' mean, where training leaves it (the
                // reconstruction's constant part); the encode does not read it (b_dec is not
                // subtracted from the input here), the encode screen takes it as its centre.
                // BENCH_SCALE_SCREEN_CENTRE=0 leaves it at zero.
                const bool centre =
                        qEnvironmentVariable("BENCH_SCALE_SCREEN_CENTRE") != QLatin1String("0");
                if (centre) {
                    c10::InferenceMode guard;
                    sae->mutableWeights().bDec.copy_(calibration.mean(0));
                }
                s[QStringLiteral("b_dec")] =
                        centre ? QStringLiteral("calibration mean") : QStringLiteral("zero");
                s[QStringLiteral("encoder_bytes")] = encoderBytes;
                s[QStringLiteral("encode")] = QStringLiteral("exact");
                s = measure(*sae, s);
                s[QStringLiteral("extra_peak_rss_bytes")] =
                        processStatusBytes("VmHWM") - rssWithout;
                saes.append(s);
                // The same SAE through the int8 encode screen, as loadSae gives a wide bf16 SAE
                // on this CPU (the same codes, bit for bit), on each int8 kernel in turn
                // (GYRUS_SAE_SCREEN_KERNEL, read at each encode).
                gpu::detail::SaeModule screened = *sae;
                start = Clock::now();
                if (dtype == at::kBFloat16 && screened.buildEncodeScreen()) {
                    s[QStringLiteral("encode")] = QStringLiteral("int8 screen + exact");
                    s[QStringLiteral("screen_build_seconds")] = secondsSince(start);
                    s[QStringLiteral("screen_bytes")] =
                            qint64(gpu::detail::SaeModule::screenBytes(width, info.dModel));
                    for (const auto &[kernel, name] : screenKernels()) {
                        qputenv("GYRUS_SAE_SCREEN_KERNEL", name);
                        s[QStringLiteral("screen_kernel")] = QString::fromLatin1(name);
                        s = measure(screened, s);
                        s[QStringLiteral("extra_peak_rss_bytes")] =
                                processStatusBytes("VmHWM") - rssWithout;
                        // The codes through the screen against the exact encode's, on one
                        // forward.
                        c10::InferenceMode guard;
                        const at::Tensor h =
                                forwardToLayer().reshape({-1, info.dModel}).to(at::kFloat);
                        const auto exact = sae->encodeSparse(h);
                        const auto fast = screened.encodeSparse(h);
                        s[QStringLiteral("screen_codes_equal_exact")] =
                                exact.rowStart == fast.rowStart &&
                                exact.features == fast.features && exact.values == fast.values;
                        saes.append(s);
                    }
                    qunsetenv("GYRUS_SAE_SCREEN_KERNEL");
                }
            }
        }
        json[QStringLiteral("sae_encode")] = saes;
        json[QStringLiteral("load_average_after")] = loadAverage();
    } catch (const std::exception &e) {
        return fail(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0));
    }
    printJson(json);
    return 0;
}

/// The encoder's product [tokens x d_in] x [d_in x d_sae] on the CPU, best of
/// BENCH_SCALE_REPEATS, by each candidate: LibTorch's bf16 matmul (oneDNN) from [d_in, d_sae]
/// and from the transposed layout loadSae holds (what encode() ran before the kernel), LibTorch's
/// float32 matmul (the BLAS it links; OpenBLAS reports its kernels), the engine's
/// SaeModule::preActivations (the AVX-512 BF16 kernel where the CPU has it), an int8 VNNI
/// screen alone (bench's probe), and the engine's sparse encode at an L0 of targetL0(), exact and
/// through its int8 encode screen on each int8 kernel (SaeModule::buildEncodeScreen; GFLOP/s of
/// the exact encode's FLOP), with the screen's parts alone: quantising the rows, the int32 sums,
/// the sums with the bounds, and the exact pass over the candidates.
int encoders(int64_t dIn, int64_t dSae, int64_t tokens)
{
    configureThreads();
    c10::InferenceMode guard;
    QJsonObject json;
    json[QStringLiteral("d_in")] = qint64(dIn);
    json[QStringLiteral("d_sae")] = qint64(dSae);
    json[QStringLiteral("tokens")] = qint64(tokens);
    json[QStringLiteral("omp_num_threads")] = threadsNote();
    json[QStringLiteral("openblas_core")] = gpu::openBlasCoreName();
    json[QStringLiteral("load_average")] = loadAverage();
    const int repeats = std::max(1, qEnvironmentVariableIntValue("BENCH_SCALE_REPEATS") > 0
                                            ? qEnvironmentVariableIntValue("BENCH_SCALE_REPEATS")
                                            : 3);
    json[QStringLiteral("repeats")] = repeats;
    const double flop = 2.0 * double(tokens) * double(dIn) * double(dSae);
    const auto best = [&](const std::function<void()> &run) {
        double seconds = 1e300;
        for (int repeat = 0; repeat < repeats; ++repeat) {
            const auto start = Clock::now();
            run();
            seconds = std::min(seconds, secondsSince(start));
        }
        return seconds;
    };
    at::manual_seed(3);
    const at::Tensor x = at::randn({tokens, dIn});
    const at::Tensor rows = at::randn({dSae, dIn}).div_(std::sqrt(double(dIn))).to(at::kBFloat16);
    QJsonObject gflops;
    const auto record = [&](const char *name, double seconds) {
        gflops[QLatin1String(name)] = flop / seconds / 1e9;
        std::fprintf(stderr, "bench_scale: %s %.3f s, %.1f GFLOP/s\n", name, seconds,
                     flop / seconds / 1e9);
        return seconds;
    };
    const at::Tensor xBf16 = x.to(at::kBFloat16);
    const double transposedBf16 = record("torch_bf16_transposed_layout",
                                         best([&] { at::matmul(xBf16, rows.t()).to(at::kFloat); }));
    {
        const at::Tensor columns = rows.t().contiguous();
        record("torch_bf16_din_dsae_layout",
               best([&] { at::matmul(xBf16, columns).to(at::kFloat); }));
    }
    double float32 = 0;
    {
        const at::Tensor columns = rows.t().to(at::kFloat).contiguous();
        float32 = record("torch_fp32", best([&] { at::matmul(x, columns); }));
    }
    SaeConfig config;
    config.architecture = SaeArchitecture::JumpRelu;
    config.dIn = dIn;
    config.dSae = dSae;
    config.applyBDecToInput = false;
    gpu::detail::SaeWeights w;
    w.wEnc = rows.t();
    w.bEnc = at::zeros({dSae});
    w.wDec = rows;
    w.bDec = at::zeros({dIn});
    w.threshold = at::zeros({dSae});
    const gpu::detail::SaeModule sae(config, w);
    const double engine = record("engine_pre_activations", best([&] { sae.preActivations(x); }));
    json[QStringLiteral("engine_kernel")] =
            gpu::detail::fastestBf16DotKernel() == gpu::detail::Bf16DotKernel::Avx512Bf16
                    ? QStringLiteral("avx512_bf16")
                    : QStringLiteral("libtorch matmul");
    double thresholdValue = 0;
    {
        // The engine's sparse encode (JumpReLU, one threshold for an L0 of targetL0() on these
        // rows), exact and through the int8 encode screen: the same codes, and the time of each.
        const at::Tensor pre = sae.preActivations(x);
        thresholdValue =
                std::get<0>(at::topk(pre.reshape(-1), std::min(pre.numel(), targetL0() * tokens)))
                        .min()
                        .item<double>();
        gpu::detail::SaeWeights jump = w;
        jump.threshold = at::full({dSae}, thresholdValue);
        const gpu::detail::SaeModule exact(config, jump);
        gpu::detail::SaeModule screened = exact;
        gpu::detail::SparseActivations exactCodes;
        const double exactSeconds = record("engine_sparse_encode_exact",
                                           best([&] { exactCodes = exact.encodeSparse(x); }));
        json[QStringLiteral("l0_active_per_token")] =
                double(exactCodes.features.size()) / double(tokens);
        if (screened.buildEncodeScreen()) {
            for (const auto &[kernel, name] : screenKernels()) {
                qputenv("GYRUS_SAE_SCREEN_KERNEL", name);
                gpu::detail::SparseActivations screenedCodes;
                const QByteArray label = "engine_sparse_encode_int8_screen_" + name;
                const double seconds = record(
                        label.constData(), best([&] { screenedCodes = screened.encodeSparse(x); }));
                qunsetenv("GYRUS_SAE_SCREEN_KERNEL");
                const QString suffix = QLatin1Char('_') + QString::fromLatin1(name);
                json[QStringLiteral("screen_candidates_per_token")] =
                        double(screenedCodes.screenCandidates) / double(tokens);
                json[QStringLiteral("screen_codes_equal_exact") + suffix] =
                        screenedCodes.rowStart == exactCodes.rowStart &&
                        screenedCodes.features == exactCodes.features &&
                        screenedCodes.values == exactCodes.values;
                json[QStringLiteral("screened_over_exact_sparse_encode_speed") + suffix] =
                        exactSeconds / seconds;
            }
        }
    }
    {
        // Where the screened encode's time goes: the screen's int32 sums alone and with the
        // bounds (screenBounds), on each kernel, and quantising the rows (the rest of the
        // encode above is the exact pass over the candidates and the bookkeeping).
        const at::Tensor xBits = xBf16.contiguous();
        const auto *wb = reinterpret_cast<const uint16_t *>(rows.data_ptr<at::BFloat16>());
        const auto *xb = reinterpret_cast<const uint16_t *>(xBits.data_ptr<at::BFloat16>());
        gpu::detail::Int8Encoder encoder = gpu::detail::allocateInt8Encoder(dSae, dIn);
        const std::vector<float> bias(size_t(dSae), 0.0f);
        if (gpu::detail::quantiseEncoderRows(wb, 0, dSae, encoder) &&
            gpu::detail::centreEncoderRows(wb, bias.data(), 0, dSae, encoder,
                                           gpu::detail::fastestBf16DotKernel())) {
            gpu::detail::Int8Rows q;
            record("int8_screen_quantise_rows",
                   best([&] { q = gpu::detail::quantiseRows(xb, tokens, encoder); }));
            std::vector<int32_t> sums(size_t(tokens * dSae));
            std::vector<float> upper(size_t(tokens * dSae));
            for (const auto &[kernel, name] : screenKernels()) {
                const QByteArray sumsLabel = "int8_screen_sums_" + name;
                record(sumsLabel.constData(), best([&, kernel = kernel] {
                           gpu::detail::int8Dots(q, encoder, 0, dSae, sums.data(), dSae, kernel);
                       }));
                const QByteArray boundsLabel = "int8_screen_sums_and_bounds_" + name;
                record(boundsLabel.constData(), best([&, kernel = kernel] {
                           gpu::detail::screenBounds(q, encoder, 0, dSae, upper.data(), nullptr,
                                                     dSae, kernel);
                       }));
            }
            // The exact pass: each row's candidates (upper bound above the encode's threshold)
            // by the bf16 kernel, as the screened encode above runs it.
            const std::vector<float> threshold(static_cast<size_t>(dSae), float(thresholdValue));
            gpu::detail::SparseRule rule;
            rule.threshold = threshold.data();
            int64_t candidates = 0;
            record("int8_screen_exact_pass", best([&] {
                       candidates = 0;
                       std::vector<int32_t> features;
                       std::vector<float> values;
                       for (int64_t t = 0; t < tokens; ++t) {
                           gpu::detail::exactFromScreen(xb + t * dIn, wb, dSae, dIn, bias.data(),
                                                        upper.data() + t * dSae, nullptr, rule,
                                                        dSae, gpu::detail::fastestBf16DotKernel(),
                                                        features, values, &candidates);
                       }
                   }));
            json[QStringLiteral("exact_pass_candidates_per_token")] =
                    double(candidates) / double(tokens);
        }
    }
    if (bench::int8DotsAvailable() && dIn % 64 == 0) {
        std::vector<uint8_t> xq(size_t(tokens * dIn), 128);
        std::vector<int8_t> wq(size_t(dSae * dIn), 1);
        std::vector<int32_t> out(size_t(tokens * dSae));
        const double int8 =
                record("int8_vnni_screen_only", best([&] {
                           bench::int8RowDots(xq.data(), tokens, wq.data(), dSae, dIn, out.data());
                       }));
        json[QStringLiteral("int8_screen_over_engine_speed")] = engine / int8;
    }
    json[QStringLiteral("gflops")] = gflops;
    json[QStringLiteral("engine_over_torch_bf16_speed")] = transposedBf16 / engine;
    json[QStringLiteral("engine_over_torch_fp32_speed")] = float32 / engine;
    printJson(json);
    return 0;
}

/// Runs `submit`, waits for its finished(), returns its status and the seconds it took.
std::pair<Status, double> await(EngineClient &engine, const std::function<RequestId()> &submit)
{
    QEventLoop loop;
    Status outcome = Status::internal(QStringLiteral("no answer"));
    RequestId wanted = 0;
    const auto connection = QObject::connect(&engine, &EngineClient::finished, &loop,
                                             [&](RequestId id, const Status &status) {
                                                 if (id == wanted) {
                                                     outcome = status;
                                                     loop.quit();
                                                 }
                                             });
    const auto start = Clock::now();
    wanted = submit();
    loop.exec();
    QObject::disconnect(connection);
    return {outcome, secondsSince(start)};
}

int engineRun(const QString &dir, const QString &saeDir)
{
    configureThreads();
    QJsonObject json;
    json[QStringLiteral("model")] = dir;
    json[QStringLiteral("sae")] = saeDir;
    json[QStringLiteral("omp_num_threads")] = threadsNote();
    json[QStringLiteral("available_memory_bytes")] = availableMemoryBytes();
    TorchEngineClient engine;
    QJsonObject steps;
    bool ok = true;
    const auto record = [&](const QString &name, const std::pair<Status, double> &result) {
        QJsonObject step;
        step[QStringLiteral("seconds")] = result.second;
        step[QStringLiteral("status")] =
                result.first.isOk() ? QStringLiteral("ok") : result.first.message();
        step[QStringLiteral("peak_rss_bytes")] = processStatusBytes("VmHWM");
        steps[name] = step;
        ok = ok && result.first.isOk();
        // Progress on stderr: an 8B run takes many minutes on a shared machine.
        std::fprintf(stderr, "bench_scale: %s %s\n", qPrintable(name),
                     QJsonDocument(step).toJson(QJsonDocument::Compact).constData());
    };
    record(QStringLiteral("load_model"), await(engine, [&] {
               return engine.loadModel(ModelSpec{dir, QStringLiteral("cpu"), Dtype::BFloat16});
           }));
    record(QStringLiteral("load_sae"), await(engine, [&] {
               return engine.loadSae(SaeSpec{saeDir, QStringLiteral("cpu")});
           }));
    const auto valence = loadPromptSet(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets/demo/demo-valence.json"));
    const auto tenseNumber = loadPromptSet(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets/demo/demo-tense-number.json"));
    if (!valence || !tenseNumber) {
        return fail(QStringLiteral("cannot read the demo prompt sets"));
    }
    const QString hook = engine.currentSae().hookName;
    if (ok) {
        TokenAnalysisRequest heatmap;
        for (int i = 0; i < 4 && i < valence->set.items.size(); ++i) {
            heatmap.texts << valence->set.items[i].text;
        }
        record(QStringLiteral("heatmap"),
               await(engine, [&] { return engine.analyzeText(heatmap); }));
        ContrastSource contrast;
        contrast.promptSet = valence->set;
        contrast.factor = QStringLiteral("valence");
        contrast.levelA = valence->set.factors.front().levels.value(0);
        contrast.levelB = valence->set.factors.front().levels.value(1);
        contrast.hookName = hook;
        contrast.saeFeatures = true;
        record(QStringLiteral("contrast"),
               await(engine, [&] { return engine.runContrast(contrast); }));
        RsaRequest rsa;
        rsa.set = tenseNumber->set;  // a 2 x 2 design: tense, number and their interaction
        rsa.hookName = hook;
        rsa.saeFeatures = true;
        rsa.permutations = 10000;
        rsa.bootstraps = 0;
        record(QStringLiteral("rsa"), await(engine, [&] { return engine.computeRsa(rsa); }));
    }
    json[QStringLiteral("steps")] = steps;
    json[QStringLiteral("peak_rss_bytes")] = processStatusBytes("VmHWM");
    const WeightUse use = engine.currentModel().weightUse;
    json[QStringLiteral("model_card")] =
            QJsonObject{{QStringLiteral("checkpoint_bytes"), use.checkpointBytes},
                        {QStringLiteral("shards"), use.shards},
                        {QStringLiteral("embedding_bytes"), use.embeddingBytes},
                        {QStringLiteral("layer_bytes"), use.bytesPerLayer()}};
    printJson(json);
    return ok ? 0 : 1;
}

/// The 1-, 5- and 15-minute load averages: absolute times on a shared machine mean little
/// without them.
QString loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    if (!file.open(QIODevice::ReadOnly)) {
        return QString();
    }
    return QString::fromLatin1(file.readAll()).section(QLatin1Char(' '), 0, 2);
}

/// One wide SAE through the app's engine on DIR (bf16): load, heatmap (the batched sparse
/// encode), steering with one clamp, a corpus scan of `scanTokens` tokens, the inspector on a
/// feature near the top of the range (decoder-cosine neighbours over every feature) and the
/// feature-wise RSA map of a 64-item prompt set. Each step's peak RSS is its own (VmHWM reset
/// before it); the SAE's own memory is what load_sae adds.
int saeEngineRun(const QString &dir, const QString &saeDir, qint64 scanTokens)
{
    configureThreads();
    QJsonObject json;
    json[QStringLiteral("model")] = dir;
    json[QStringLiteral("sae")] = saeDir;
    json[QStringLiteral("omp_num_threads")] = threadsNote();
    json[QStringLiteral("load_average_before")] = loadAverage();
    json[QStringLiteral("available_memory_bytes")] = availableMemoryBytes();
    TorchEngineClient engine;
    QJsonObject steps;
    bool ok = true;
    qint64 before = processStatusBytes("VmRSS");
    const auto record = [&](const QString &name, const std::pair<Status, double> &result) {
        QJsonObject step;
        step[QStringLiteral("seconds")] = result.second;
        step[QStringLiteral("status")] =
                result.first.isOk() ? QStringLiteral("ok") : result.first.message();
        step[QStringLiteral("peak_rss_bytes")] = processStatusBytes("VmHWM");
        step[QStringLiteral("peak_rss_above_start_bytes")] = processStatusBytes("VmHWM") - before;
        steps[name] = step;
        ok = ok && result.first.isOk();
        std::fprintf(stderr, "bench_scale: %s %s\n", qPrintable(name),
                     QJsonDocument(step).toJson(QJsonDocument::Compact).constData());
        resetPeakResidentBytes();
        before = processStatusBytes("VmRSS");
        return step;
    };
    resetPeakResidentBytes();
    record(QStringLiteral("load_model"), await(engine, [&] {
               return engine.loadModel(ModelSpec{dir, QStringLiteral("cpu"), Dtype::BFloat16});
           }));
    const qint64 withModel = processStatusBytes("VmRSS");
    record(QStringLiteral("load_sae"), await(engine, [&] {
               return engine.loadSae(SaeSpec{saeDir, QStringLiteral("cpu")});
           }));
    json[QStringLiteral("sae_resident_bytes")] = processStatusBytes("VmRSS") - withModel;
    const SaeInfo sae = engine.currentSae();
    json[QStringLiteral("d_in")] = qint64(sae.dIn);
    json[QStringLiteral("d_sae")] = qint64(sae.dSae);
    const auto tenseNumber = loadPromptSet(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets/demo/demo-tense-number.json"));
    if (!tenseNumber) {
        return fail(QStringLiteral("cannot read the demo prompt set"));
    }
    const int probe = int(sae.dSae) - 7;  // a high id: the inspector's neighbours at full width
    if (ok) {
        TokenAnalysisRequest heatmap;
        for (int i = 0; i < 4; ++i) {
            heatmap.texts << tenseNumber->set.items[i].text;
        }
        record(QStringLiteral("heatmap"),
               await(engine, [&] { return engine.analyzeText(heatmap); }));
        SteeringRequest steer;
        steer.prompt = tenseNumber->set.items[0].text;
        steer.options.maxNewTokens = 8;
        steer.clamps.clamps.append(FeatureClamp{probe, ClampMode::Clamp, 10.0});
        record(QStringLiteral("steer_clamp_8_tokens"),
               await(engine, [&] { return engine.steer(steer); }));
        CorpusScanRequest scan;
        scan.corpusPath = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt");
        scan.tokenBudget = scanTokens;
        scan.contextLength = 128;
        const QJsonObject scanned = record(QStringLiteral("corpus_scan"),
                                           await(engine, [&] { return engine.scanCorpus(scan); }));
        json[QStringLiteral("scan_tokens")] = scanTokens;
        json[QStringLiteral("scan_tokens_per_second")] =
                double(scanTokens) / scanned.value(QStringLiteral("seconds")).toDouble();
        record(QStringLiteral("inspector_feature_%1").arg(probe),
               await(engine, [&] { return engine.featureDetails(probe); }));
        ContrastSource map;
        map.promptSet = tenseNumber->set;  // 64 items
        map.factor = QStringLiteral("tense");
        map.levelA = QStringLiteral("present");
        map.levelB = QStringLiteral("past");
        map.hookName = sae.hookName;
        map.saeFeatures = true;
        record(QStringLiteral("feature_rsa_map_64_items"),
               await(engine, [&] { return engine.computeFeatureRsaMap(map); }));
    }
    json[QStringLiteral("steps")] = steps;
    json[QStringLiteral("load_average_after")] = loadAverage();
    printJson(json);
    return ok ? 0 : 1;
}

int ladder(const QString &root, const QList<int64_t> &widths)
{
    QJsonArray rungs;
    for (const QString &preset : bench::presetNames()) {
        const QString dir = QDir(root).filePath(preset);
        if (!QFileInfo::exists(QDir(dir).filePath(QStringLiteral("config.json")))) {
            std::fprintf(stderr, "bench_scale: %s not written (bench_scale write-model %s %s)\n",
                         qPrintable(preset), qPrintable(preset), qPrintable(dir));
            continue;
        }
        QStringList args = {QStringLiteral("rung"), dir, QStringLiteral("12"),
                            QStringLiteral("128")};
        for (const int64_t width : widths) {
            // An fp32 encoder of 262k x 4096 is 4.3 GB on top of the 8B model's 6 GB: past
            // what one engineer may hold on this shared 24 GB machine (Llama Scope stops at
            // 131k anyway).
            if (preset == QLatin1String("llama-3.1-8b") && width > 131072) {
                continue;
            }
            args << QString::number(width);
        }
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), args);
        child.waitForFinished(-1);
        const QJsonDocument doc = QJsonDocument::fromJson(child.readAllStandardOutput());
        QJsonObject rungJson = doc.object();
        rungJson[QStringLiteral("preset")] = preset;
        rungJson[QStringLiteral("exit_code")] = child.exitCode();
        rungs.append(rungJson);
    }
    QJsonObject json;
    json[QStringLiteral("ladder")] = rungs;
    json[QStringLiteral("target")] =
            QStringLiteral("forward+encode over forward alone >= 0.8 at 131k features");
    printJson(json);
    return 0;
}

QList<int64_t> parseWidths(const QStringList &list)
{
    QList<int64_t> widths;
    for (const QString &item : list) {
        for (const QString &part : item.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            widths << part.toLongLong();
        }
    }
    return widths;
}

}  // namespace

int main(int argc, char **argv)
{
    // As gyrus and gyrus-cli run: OpenBLAS's AVX-512 kernels where it would fall back to SSE3.
    gpu::useNativeBlasKernels(argv);
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments().mid(1);
    const QString mode = args.value(0);
    if (mode == QLatin1String("write-model") && args.size() == 3) {
        return writeModel(args[1], args[2]);
    }
    if (mode == QLatin1String("write-sae") && (args.size() == 5 || args.size() == 6)) {
        return writeSae(args[1], args[2].toLongLong(), args[3].toLongLong(), args[4],
                        args.value(5, QStringLiteral("fp32")));
    }
    if (mode == QLatin1String("sae-engine") && (args.size() == 3 || args.size() == 4)) {
        return saeEngineRun(args[1], args[2], args.value(3, QStringLiteral("512")).toLongLong());
    }
    if (mode == QLatin1String("rung") && args.size() >= 4) {
        return rung(args[1], args[2].toInt(), args[3].toLongLong(), parseWidths(args.mid(4)));
    }
    if (mode == QLatin1String("encoders") && args.size() == 4) {
        return encoders(args[1].toLongLong(), args[2].toLongLong(), args[3].toLongLong());
    }
    if (mode == QLatin1String("engine") && args.size() == 3) {
        return engineRun(args[1], args[2]);
    }
    if (mode == QLatin1String("ladder") && args.size() >= 2) {
        const int at = args.indexOf(QStringLiteral("--widths"));
        const QList<int64_t> widths = at >= 0 ? parseWidths({args.value(at + 1)})
                                              : QList<int64_t>{16384, 65536, 131072, 262144};
        return ladder(args[1], widths);
    }
    std::fprintf(stderr,
                 "usage: bench_scale write-model PRESET[:LAYERS] DIR | write-sae DIR D_IN D_SAE "
                 "HOOK [fp32|bf16] | rung DIR LAYER TOKENS [W ...] | engine DIR SAE_DIR | "
                 "sae-engine DIR SAE_DIR [SCAN_TOKENS] | encoders D_IN D_SAE TOKENS | ladder ROOT "
                 "[--widths W,...]\n(presets: %s)\n",
                 qPrintable(bench::presetNames().join(QStringLiteral(", "))));
    return 2;
}
