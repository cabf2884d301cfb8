// gyrus-cli sae train: train a sparse autoencoder on an HDF5 activation file, or on activations
// streamed from a model over a corpus.

#include "app/cli/cli.h"
#include "app/cli/sae_commands.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activation_file.h"
#include "gpu/sae/sae_trainer.h"
#include "gpu/sae/streaming_activations.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonObject>

#include <cstdio>

namespace gyrus::cli {

namespace {

QJsonObject metricsJson(const gpu::SaeTrainMetrics &m)
{
    QJsonObject json;
    json[QStringLiteral("explained_variance")] = m.explainedVariance;
    json[QStringLiteral("mse")] = m.mse;
    json[QStringLiteral("normalized_mse")] = m.normalizedMse;
    json[QStringLiteral("l0")] = m.l0;
    json[QStringLiteral("l1")] = m.l1;
    json[QStringLiteral("dead_fraction")] = m.deadFraction;
    json[QStringLiteral("dense_fraction")] = m.denseFraction;
    json[QStringLiteral("tokens_per_second")] = m.tokensPerSecond;
    return json;
}

}  // namespace

int runSaeTrain(const QStringList &arguments)
{
    const QString name = QStringLiteral("sae train");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Train a sparse autoencoder on /activations [N, d] of an HDF5 file (--activations), "
            "or on activations streamed from a model (--model, --corpus, --hook: the corpus runs "
            "through the model on the fly, in windows of --context-length tokens with BOS rows "
            "dropped, into a shuffle buffer of --buffer-tokens rows that mixes documents), and "
            "write it to --out in the SAELens layout (cfg.json, sae_weights.safetensors, "
            "sparsity.safetensors), with the input scale folded in, plus train_log.jsonl (one "
            "line of metrics every --metrics-every steps). Inputs are scaled so that E‖x‖ = "
            "√d_in during training. relu: Anthropic April 2024 recipe (λ warm-up over 5%, "
            "decoder-norm-weighted L1); topk / batchtopk: AuxK for dead latents (batchtopk is "
            "saved as jumprelu with its learned threshold); jumprelu: L0 penalty with "
            "straight-through threshold gradients. Linear LR decay over the last 20%, gradient "
            "clipping at 1. --checkpoint-every / --resume continue a run bit for bit; when "
            "streaming, a resume replays the model over the tokens already trained on (same "
            "device, dtype and thread count for bit-exact results). Prints a JSON summary."));
    parser.addOptions({
            {QStringLiteral("activations"), QStringLiteral("HDF5 activation file."),
             QStringLiteral("FILE.h5")},
            {QStringLiteral("dataset"), QStringLiteral("Dataset name (default activations)."),
             QStringLiteral("NAME"), QStringLiteral("activations")},
            {QStringLiteral("model"),
             QStringLiteral("Streaming: Hugging Face model directory (instead of --activations)."),
             QStringLiteral("DIR")},
            {QStringLiteral("model-dtype"),
             QStringLiteral("Streaming: the model's compute dtype, fp32 (default) or bf16."),
             QStringLiteral("DTYPE"), QStringLiteral("fp32")},
            {QStringLiteral("corpus"),
             QStringLiteral("Streaming: text, one sentence or paragraph per line."),
             QStringLiteral("FILE")},
            {QStringLiteral("hook"),
             QStringLiteral("Streaming: hook point, e.g. blocks.2.hook_resid_post."),
             QStringLiteral("NAME")},
            {QStringLiteral("context-length"),
             QStringLiteral("Streaming: tokens per window, BOS included (128)."),
             QStringLiteral("L")},
            {QStringLiteral("buffer-tokens"),
             QStringLiteral("Streaming: rows in the shuffle buffer (65536)."), QStringLiteral("N")},
            {QStringLiteral("normalisation-tokens"),
             QStringLiteral("Rows used to estimate the input scale (100000)."),
             QStringLiteral("N")},
            {QStringLiteral("arch"), QStringLiteral("relu, topk, batchtopk or jumprelu."),
             QStringLiteral("ARCH")},
            {QStringLiteral("d-sae"), QStringLiteral("Number of latents."), QStringLiteral("N")},
            {QStringLiteral("k"), QStringLiteral("topk/batchtopk: active latents per token (32)."),
             QStringLiteral("K")},
            {QStringLiteral("l1-coefficient"), QStringLiteral("relu: L1 coefficient λ (5)."),
             QStringLiteral("X")},
            {QStringLiteral("l0-coefficient"),
             QStringLiteral("jumprelu: L0 coefficient (0.01·d_in)."), QStringLiteral("X")},
            {QStringLiteral("batch-size"), QStringLiteral("Tokens per step (4096)."),
             QStringLiteral("B")},
            {QStringLiteral("tokens"), QStringLiteral("Training tokens (steps = T / B)."),
             QStringLiteral("T")},
            {QStringLiteral("lr"),
             QStringLiteral("Learning rate (relu 5e-5; others 2e-4/sqrt(d_sae/2^14))."),
             QStringLiteral("X")},
            {QStringLiteral("warmup-fraction"), QStringLiteral("Linear LR warm-up share (0)."),
             QStringLiteral("X")},
            {QStringLiteral("seed"), QStringLiteral("Seed of initialisation and shuffling (0)."),
             QStringLiteral("S")},
            {QStringLiteral("device"), QStringLiteral("cpu or cuda (cpu)."),
             QStringLiteral("DEVICE"), QStringLiteral("cpu")},
            {QStringLiteral("metrics-every"), QStringLiteral("Steps between log lines (100)."),
             QStringLiteral("N")},
            {QStringLiteral("checkpoint-every"),
             QStringLiteral("Steps between checkpoints in OUT/checkpoint (never)."),
             QStringLiteral("N")},
            {QStringLiteral("resume"),
             QStringLiteral("Continue from a checkpoint directory (other training options are "
                            "taken from it; when streaming, repeat --model, --corpus, --hook, "
                            "--context-length and --buffer-tokens)."),
             QStringLiteral("DIR")},
            {QStringLiteral("progress"),
             QStringLiteral("Print a progress line on stderr per log line.")},
            {QStringLiteral("out"), QStringLiteral("Output SAE directory."), QStringLiteral("DIR")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const bool resuming = parser.isSet(QStringLiteral("resume"));
    const bool streaming = parser.isSet(QStringLiteral("model"));
    if (streaming == parser.isSet(QStringLiteral("activations"))) {
        return fail(name, QStringLiteral("give either --activations FILE.h5 or --model DIR "
                                         "--corpus FILE --hook NAME (see --help)"));
    }
    QStringList required = {QStringLiteral("out")};
    if (streaming) {
        required << QStringLiteral("corpus") << QStringLiteral("hook");
    }
    if (!resuming) {
        required << QStringLiteral("arch") << QStringLiteral("d-sae") << QStringLiteral("tokens");
    }
    for (const QString &option : required) {
        if (!parser.isSet(option)) {
            return fail(name, QStringLiteral("--%1 is required (see --help)").arg(option));
        }
    }
    gpu::SaeTrainingConfig config;
    if (!resuming) {
        const auto architecture = gpu::architectureFromName(parser.value(QStringLiteral("arch")));
        if (!architecture) {
            return fail(name, QStringLiteral("--arch must be relu, topk, batchtopk or jumprelu "
                                             "(got '%1')")
                                      .arg(parser.value(QStringLiteral("arch"))));
        }
        config.sae.architecture = *architecture;
    }
    const auto dSae = integerOption(parser, name, QStringLiteral("d-sae"), 0, 1);
    const auto k = integerOption(parser, name, QStringLiteral("k"), 32, 1);
    const auto batch = integerOption(parser, name, QStringLiteral("batch-size"), 4096, 1);
    const auto tokens = integerOption(parser, name, QStringLiteral("tokens"), 0, 1);
    const auto seed = integerOption(parser, name, QStringLiteral("seed"), 0, 0);
    const auto every = integerOption(parser, name, QStringLiteral("metrics-every"), 100, 1);
    const auto checkpointEvery =
            integerOption(parser, name, QStringLiteral("checkpoint-every"), 0, 1);
    const auto l1 = numberOption(parser, name, QStringLiteral("l1-coefficient"), 5.0, 0);
    const auto l0 = numberOption(parser, name, QStringLiteral("l0-coefficient"), 0, 0);
    const auto lr = numberOption(parser, name, QStringLiteral("lr"), 0, 0);
    const auto warmup = numberOption(parser, name, QStringLiteral("warmup-fraction"), 0, 0);
    const auto context = integerOption(parser, name, QStringLiteral("context-length"), 128, 2);
    const auto buffer = integerOption(parser, name, QStringLiteral("buffer-tokens"), 65536, 1);
    const auto normalisation =
            integerOption(parser, name, QStringLiteral("normalisation-tokens"), 100000, 1);
    if (!dSae || !k || !batch || !tokens || !seed || !every || !checkpointEvery || !l1 || !l0 ||
        !lr || !warmup || !context || !buffer || !normalisation) {
        return kExitBadInput;
    }
    const QString activations = parser.value(QStringLiteral("activations"));
    // The data: an activation file, or the model streamed over the corpus.
    std::unique_ptr<gpu::LanguageModel> model;
    gpu::StreamingActivationOptions stream;
    if (streaming) {
        gpu::LoadOptions load;
        load.device = parser.value(QStringLiteral("device"));
        load.dtype = parser.value(QStringLiteral("model-dtype"));
        Result<std::unique_ptr<gpu::LanguageModel>> loaded =
                gpu::LanguageModel::load(parser.value(QStringLiteral("model")), load);
        if (!loaded) {
            return failWith(name, loaded.status());
        }
        model = std::move(loaded).value();
        stream.corpusPath = parser.value(QStringLiteral("corpus"));
        stream.hookName = parser.value(QStringLiteral("hook"));
        stream.contextLength = static_cast<int>(*context);
        stream.bufferRows = *buffer;
        config.sae.dIn = model->info().dModel;
        config.sae.hookName = stream.hookName;
        config.sae.modelName = model->info().directory;
    } else {
        Result<gpu::ActivationFileInfo> info =
                gpu::inspectActivationFile(activations, parser.value(QStringLiteral("dataset")));
        if (!info) {
            return failWith(name, info.status());
        }
        config.sae.dIn = info.value().columns;
        config.sae.hookName = info.value().attributes.value(QStringLiteral("hook_name"));
        config.sae.modelName = info.value().attributes.value(QStringLiteral("model"));
    }
    // The shuffle seed is the training seed (a resumed run takes it from its checkpoint).
    auto openSource =
            [&](uint64_t shuffleSeed) -> Result<std::shared_ptr<gpu::detail::ActivationSource>> {
        if (streaming) {
            gpu::StreamingActivationOptions seeded = stream;
            seeded.seed = shuffleSeed;
            return gpu::openStreamingActivations(*model, seeded);
        }
        return gpu::openActivationFile(activations, parser.value(QStringLiteral("dataset")), true,
                                       shuffleSeed);
    };
    config.sae.dSae = *dSae;
    config.sae.k = *k;
    config.normalisationTokens = *normalisation;
    config.batchSize = *batch;
    config.totalTokens = *tokens;
    config.learningRate = *lr;
    config.warmupFraction = *warmup;
    config.l1Coefficient = *l1;
    config.l0Coefficient = *l0;
    config.seed = static_cast<uint64_t>(*seed);
    config.device = parser.value(QStringLiteral("device"));
    config.metricsEverySteps = *every;
    const QString out = parser.value(QStringLiteral("out"));
    if (!QDir().mkpath(out)) {
        return fail(name, QStringLiteral("%1: cannot create the directory").arg(out));
    }
    config.logPath = QDir(out).filePath(QStringLiteral("train_log.jsonl"));

    Result<std::unique_ptr<gpu::SaeTrainer>> trainer = Status::internal(QStringLiteral("unset"));
    if (resuming) {
        const QString checkpoint = parser.value(QStringLiteral("resume"));
        Result<gpu::SaeTrainingConfig> trained = gpu::SaeTrainer::checkpointConfig(checkpoint);
        if (!trained) {
            return failWith(name, trained.status());
        }
        if (streaming && trained->sae.hookName != stream.hookName) {
            return fail(name, QStringLiteral("%1 was trained on hook '%2', not '%3'")
                                      .arg(checkpoint, trained->sae.hookName, stream.hookName));
        }
        auto source = openSource(trained->seed);
        if (!source) {
            return failWith(name, source.status());
        }
        trainer = gpu::SaeTrainer::resume(checkpoint, source.value());
    } else {
        auto source = openSource(config.seed);
        if (!source) {
            return failWith(name, source.status());
        }
        trainer = gpu::SaeTrainer::create(config, source.value());
    }
    if (!trainer) {
        return failWith(name, trainer.status());
    }
    gpu::SaeTrainer &t = *trainer.value();
    if (parser.isSet(QStringLiteral("progress"))) {
        t.setMetricsCallback([](const gpu::SaeTrainMetrics &m) {
            std::fprintf(stderr,
                         "step %lld/%lld  loss %.4g  EV %.4f  L0 %.1f  dead %.3f  %.0f tok/s  "
                         "ETA %.0f s\n",
                         static_cast<long long>(m.step), static_cast<long long>(m.totalSteps),
                         m.loss, m.explainedVariance, m.l0, m.deadFraction, m.tokensPerSecond,
                         m.etaSeconds);
        });
    }
    QElapsedTimer clock;
    clock.start();
    const QString checkpoint = QDir(out).filePath(QStringLiteral("checkpoint"));
    while (!t.isFinished()) {
        const int64_t slice = *checkpointEvery > 0 ? *checkpointEvery : t.totalSteps();
        if (Status status = t.step(slice); !status.isOk()) {
            return failWith(name, status);
        }
        if (*checkpointEvery > 0) {
            if (Status status = t.saveCheckpoint(checkpoint); !status.isOk()) {
                return failWith(name, status);
            }
        }
    }
    if (Status status = t.exportSae(out); !status.isOk()) {
        return failWith(name, status);
    }
    const gpu::SaeTrainMetrics m = t.latestMetrics();
    QJsonObject json;
    json[QStringLiteral("out")] = out;
    json[QStringLiteral("architecture")] = gpu::architectureName(t.config().sae.architecture);
    json[QStringLiteral("d_in")] = static_cast<double>(t.config().sae.dIn);
    json[QStringLiteral("d_sae")] = static_cast<double>(t.config().sae.dSae);
    json[QStringLiteral("steps")] = static_cast<double>(t.stepsDone());
    json[QStringLiteral("tokens")] = static_cast<double>(m.tokens);
    json[QStringLiteral("input_scale")] = t.inputScale();
    json[QStringLiteral("seconds")] = clock.elapsed() / 1000.0;
    json[QStringLiteral("final")] = metricsJson(m);
    printJson(json);
    return kExitOk;
}

}  // namespace gyrus::cli
