// gyrus-cli sae train: train a sparse autoencoder on an HDF5 activation file.

#include "app/cli/cli.h"
#include "app/cli/sae_commands.h"
#include "gpu/sae/activation_file.h"
#include "gpu/sae/sae_trainer.h"

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
            "Train a sparse autoencoder on /activations [N, d] of an HDF5 file and write it to "
            "--out in the SAELens layout (cfg.json, sae_weights.safetensors, "
            "sparsity.safetensors), with the input scale folded in, plus train_log.jsonl (one "
            "line of metrics every --metrics-every steps). Inputs are scaled so that E‖x‖ = "
            "√d_in during training. relu: Anthropic April 2024 recipe (λ warm-up over 5%, "
            "decoder-norm-weighted L1); topk / batchtopk: AuxK for dead latents (batchtopk is "
            "saved as jumprelu with its learned threshold); jumprelu: L0 penalty with "
            "straight-through threshold gradients. Linear LR decay over the last 20%, gradient "
            "clipping at 1. Prints a JSON summary."));
    parser.addOptions({
            {QStringLiteral("activations"), QStringLiteral("HDF5 activation file."),
             QStringLiteral("FILE.h5")},
            {QStringLiteral("dataset"), QStringLiteral("Dataset name (default activations)."),
             QStringLiteral("NAME"), QStringLiteral("activations")},
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
                            "taken from it)."),
             QStringLiteral("DIR")},
            {QStringLiteral("progress"),
             QStringLiteral("Print a progress line on stderr per log line.")},
            {QStringLiteral("out"), QStringLiteral("Output SAE directory."), QStringLiteral("DIR")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const bool resuming = parser.isSet(QStringLiteral("resume"));
    QStringList required = {QStringLiteral("activations"), QStringLiteral("out")};
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
    if (!dSae || !k || !batch || !tokens || !seed || !every || !checkpointEvery || !l1 || !l0 ||
        !lr || !warmup) {
        return kExitBadInput;
    }
    const QString activations = parser.value(QStringLiteral("activations"));
    Result<gpu::ActivationFileInfo> info =
            gpu::inspectActivationFile(activations, parser.value(QStringLiteral("dataset")));
    if (!info) {
        return failWith(name, info.status());
    }
    config.sae.dIn = info.value().columns;
    config.sae.dSae = *dSae;
    config.sae.k = *k;
    config.sae.hookName = info.value().attributes.value(QStringLiteral("hook_name"));
    config.sae.modelName = info.value().attributes.value(QStringLiteral("model"));
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
        // The shuffle seed is part of the checkpointed configuration; the source must match.
        Result<std::unique_ptr<gpu::SaeTrainer>> probe = Status::internal(QStringLiteral("unset"));
        auto peek = gpu::openActivationFile(activations, parser.value(QStringLiteral("dataset")),
                                            true, 0);
        if (!peek) {
            return failWith(name, peek.status());
        }
        probe = gpu::SaeTrainer::resume(parser.value(QStringLiteral("resume")), peek.value());
        if (!probe) {
            return failWith(name, probe.status());
        }
        const uint64_t trainedSeed = probe.value()->config().seed;
        probe.value().reset();
        auto source = gpu::openActivationFile(activations, parser.value(QStringLiteral("dataset")),
                                              true, trainedSeed);
        if (!source) {
            return failWith(name, source.status());
        }
        trainer = gpu::SaeTrainer::resume(parser.value(QStringLiteral("resume")), source.value());
    } else {
        auto source = gpu::openActivationFile(activations, parser.value(QStringLiteral("dataset")),
                                              true, config.seed);
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
