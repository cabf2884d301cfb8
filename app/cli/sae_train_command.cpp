// gyrus-cli sae train: train a sparse autoencoder on an HDF5 activation file, or on activations
// streamed from a model over a corpus.

#include "app/cli/cli.h"
#include "app/cli/distributed_run.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_commands.h"
#include "core/sae/sae_training_json.h"
#include "gpu/distributed/process_group.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_shards.h"
#include "gpu/sae/activations/streaming_activations.h"
#include "gpu/sae/training/sae_trainer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonObject>

#include <cstdio>

namespace gyrus::cli {

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
            "device, dtype and thread count for bit-exact results). Prints a JSON summary. "
            "Data-parallel: start N processes with torchrun's variables (RANK, WORLD_SIZE, "
            "MASTER_ADDR, MASTER_PORT, LOCAL_RANK) or with `gyrus-cli launch --nproc N -- sae "
            "train ...`; each rank reads its own data shards (the files of a sharded cache's "
            "index, --data-shards row ranges of one file, or --data-shards document subsets of a "
            "streamed corpus), gradients are all-reduced every step, and rank 0 writes the log, "
            "checkpoints and the SAE. --batch-size is the batch over every rank. A checkpoint "
            "resumes on any number of ranks up to its data shards."));
    parser.addOptions({
            {QStringLiteral("activations"),
             QStringLiteral("HDF5 activation file, or the index (.json) of a sharded cache."),
             QStringLiteral("FILE")},
            {QStringLiteral("data-shards"),
             QStringLiteral("Shards of the data: every batch takes batch/S rows from each, and "
                            "ranks split them (default: a sharded cache's own count, else "
                            "WORLD_SIZE). The same S gives the same batches on any number of "
                            "ranks."),
             QStringLiteral("S")},
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
            distributedTimeoutOption(),
            {QStringLiteral("out"), QStringLiteral("Output SAE directory."), QStringLiteral("DIR")},
    });
    Result<gpu::DistributedEnvironment> environment = rankEnvironment();
    if (!environment) {
        return failWith(name, environment.status());
    }
    const gpu::DistributedEnvironment &env = environment.value();
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
    SaeTrainingConfig config;
    if (!resuming) {
        const auto architecture = fromName<SaeArchitecture>(parser.value(QStringLiteral("arch")));
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
    const auto normalisation = integerOption(parser, name, QStringLiteral("normalisation-tokens"),
                                             SaeTrainingConfig::kDefaultNormalisationTokens, 1);
    const auto dataShards = integerOption(parser, name, QStringLiteral("data-shards"), 0, 1);
    const auto timeout = integerOption(parser, name, QStringLiteral("timeout"), 600, 1);
    if (!dSae || !k || !batch || !tokens || !seed || !every || !checkpointEvery || !l1 || !l0 ||
        !lr || !warmup || !context || !buffer || !normalisation || !dataShards || !timeout) {
        return kExitBadInput;
    }
    // Every rank joins before it reads anything, so that a bad argument on one rank fails every
    // rank at once instead of leaving the others waiting.
    Result<std::shared_ptr<gpu::DistributedGroup>> group =
            joinRanks(env, arguments, static_cast<int>(*timeout), false);
    if (!group) {
        return failWith(name, group.status());
    }
    // Until every rank has opened its data, a failure is told to the others (each then fails
    // with a line naming the rank that could not start) instead of leaving them to time out.
    auto failBeforeStart = [&](const Status &status) {
        if (group.value()) {
            group.value()->startTogether(status);
        }
        return failWith(name, status);
    };
    auto startTogether = [&]() {
        return group.value() ? group.value()->startTogether(Status::ok()) : Status::ok();
    };
    const bool isRankZero = env.rank == 0;
    auto reducer = [&]() -> std::shared_ptr<gpu::detail::BatchReducer> {
        return group.value() ? group.value()->reducer() : nullptr;
    };
    const QString activations = parser.value(QStringLiteral("activations"));
    const QString dataset = parser.value(QStringLiteral("dataset"));
    // The data: an activation file or a sharded cache's index, or the model streamed over the
    // corpus.
    std::unique_ptr<gpu::LanguageModel> model;
    gpu::StreamingActivationOptions stream;
    if (streaming) {
        const Result<Dtype> dtype =
                parseName<Dtype>(parser.value(QStringLiteral("model-dtype")).trimmed());
        if (!dtype) {
            return failBeforeStart(dtype.status());
        }
        gpu::LoadOptions load;
        load.device = parser.value(QStringLiteral("device"));
        load.dtype = dtype.value();
        Result<std::unique_ptr<gpu::LanguageModel>> loaded =
                gpu::LanguageModel::load(parser.value(QStringLiteral("model")), load);
        if (!loaded) {
            return failBeforeStart(loaded.status());
        }
        model = std::move(loaded).value();
        stream.corpusPath = parser.value(QStringLiteral("corpus"));
        stream.hookName = parser.value(QStringLiteral("hook"));
        stream.contextLength = static_cast<int>(*context);
        stream.bufferRows = *buffer;
        config.sae.dIn = model->info().dModel;
        config.sae.hookName = stream.hookName;
        config.sae.modelName = model->info().path;
    } else if (gpu::isActivationShardIndex(activations)) {
        Result<gpu::ActivationShardIndex> index = gpu::readActivationShardIndex(activations);
        if (!index) {
            return failBeforeStart(index.status());
        }
        config.sae.dIn = index->columns;
        config.sae.hookName = index->attributes.value(QStringLiteral("hook_name"));
        config.sae.modelName = index->attributes.value(QStringLiteral("model"));
    } else {
        Result<gpu::ActivationFileInfo> info = gpu::inspectActivationFile(activations, dataset);
        if (!info) {
            return failBeforeStart(info.status());
        }
        config.sae.dIn = info.value().columns;
        config.sae.hookName = info.value().attributes.value(QStringLiteral("hook_name"));
        config.sae.modelName = info.value().attributes.value(QStringLiteral("model"));
    }
    // This rank's shards of the data (all of them in one process). The shuffle seed is the
    // training seed (a resumed run takes it and the shard count from its checkpoint).
    auto openSource =
            [&](uint64_t shuffleSeed,
                int64_t shards) -> Result<std::shared_ptr<gpu::detail::ActivationSource>> {
        if (env.worldSize > shards) {
            return Status::invalidInput(
                    QStringLiteral("%1 ranks cannot split %2 data shard%3: each rank needs at "
                                   "least one; start at most %2 ranks (or set --data-shards)")
                            .arg(env.worldSize)
                            .arg(shards)
                            .arg(shards == 1 ? QString() : QStringLiteral("s")));
        }
        if (streaming) {
            std::vector<std::shared_ptr<gpu::detail::ActivationSource>> mine;
            int64_t rows = 0;
            for (int64_t j = env.rank; j < shards; j += env.worldSize) {
                gpu::StreamingActivationOptions seeded = stream;
                seeded.seed = shuffleSeed;
                seeded.shardIndex = static_cast<int>(j);
                seeded.shardCount = static_cast<int>(shards);
                auto source = gpu::openStreamingActivations(*model, seeded);
                if (!source) {
                    return source.status();
                }
                rows = gpu::activationSourceRows(*source.value());
                mine.push_back(std::move(source).value());
            }
            return gpu::combineActivationShards(
                    std::move(mine), shards, rows,
                    QStringLiteral("%1 (%2 data shards)").arg(stream.corpusPath).arg(shards));
        }
        gpu::ShardedActivationOptions options;
        options.path = activations;
        options.dataset = dataset;
        options.shards = shards;
        options.rank = env.rank;
        options.worldSize = env.worldSize;
        options.seed = shuffleSeed;
        return gpu::openShardedActivations(options);
    };
    // The data's shards: a sharded cache's own count, else --data-shards or one per rank.
    int64_t shardCount = *dataShards > 0 ? *dataShards : env.worldSize;
    if (!streaming && gpu::isActivationShardIndex(activations)) {
        gpu::ShardedActivationOptions options;
        options.path = activations;
        options.shards = *dataShards;
        options.worldSize = env.worldSize;
        Result<int64_t> count = gpu::activationShardCount(options);
        if (!count) {
            return failBeforeStart(count.status());
        }
        shardCount = count.value();
    }
    config.dataShards = shardCount;
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
    if (isRankZero && !QDir().mkpath(out)) {
        return failBeforeStart(
                Status::invalidInput(QStringLiteral("%1: cannot create the directory").arg(out)));
    }
    config.logPath = QDir(out).filePath(QStringLiteral("train_log.jsonl"));

    Result<std::unique_ptr<gpu::SaeTrainer>> trainer = Status::internal(QStringLiteral("unset"));
    if (resuming) {
        const QString checkpoint = parser.value(QStringLiteral("resume"));
        Result<SaeTrainingConfig> trained = gpu::SaeTrainer::checkpointConfig(checkpoint);
        if (!trained) {
            return failBeforeStart(trained.status());
        }
        if (streaming && trained->sae.hookName != stream.hookName) {
            return failBeforeStart(Status::invalidInput(
                    QStringLiteral("%1 was trained on hook '%2', not '%3'")
                            .arg(checkpoint, trained->sae.hookName, stream.hookName)));
        }
        auto source = openSource(trained->seed, trained->dataShards);
        if (!source) {
            return failBeforeStart(source.status());
        }
        if (Status started = startTogether(); !started.isOk()) {
            return failWith(name, started);
        }
        trainer = gpu::SaeTrainer::resume(checkpoint, source.value(), reducer());
    } else {
        auto source = openSource(config.seed, config.dataShards);
        if (!source) {
            return failBeforeStart(source.status());
        }
        if (Status started = startTogether(); !started.isOk()) {
            return failWith(name, started);
        }
        trainer = gpu::SaeTrainer::create(config, source.value(), reducer());
    }
    if (!trainer) {
        return failWith(name, trainer.status());
    }
    gpu::SaeTrainer &t = *trainer.value();
    if (parser.isSet(QStringLiteral("progress")) && isRankZero) {
        t.setMetricsCallback([](const SaeTrainMetrics &m) {
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
        // Every rank holds the same state: rank 0 writes it. Each checkpoint carries the SAE
        // of its step (checkpoint/sae), which a workbench watching the run can load.
        if (*checkpointEvery > 0 && isRankZero) {
            if (Status status = t.saveCheckpoint(checkpoint); !status.isOk()) {
                return failWith(name, status);
            }
            if (Status status = t.exportSae(QDir(checkpoint).filePath(QStringLiteral("sae")));
                !status.isOk()) {
                return failWith(name, status);
            }
        }
    }
    if (!isRankZero) {
        return kExitOk;
    }
    if (Status status = t.exportSae(out); !status.isOk()) {
        return failWith(name, status);
    }
    const SaeTrainMetrics m = t.latestMetrics();
    QJsonObject json;
    json[QStringLiteral("out")] = out;
    json[QStringLiteral("architecture")] = nameOf(t.config().sae.architecture);
    json[QStringLiteral("d_in")] = static_cast<double>(t.config().sae.dIn);
    json[QStringLiteral("d_sae")] = static_cast<double>(t.config().sae.dSae);
    json[QStringLiteral("steps")] = static_cast<double>(t.stepsDone());
    json[QStringLiteral("tokens")] = static_cast<double>(m.tokens);
    json[QStringLiteral("input_scale")] = t.inputScale();
    json[QStringLiteral("seconds")] = clock.elapsed() / 1000.0;
    json[QStringLiteral("world_size")] = env.worldSize;
    json[QStringLiteral("data_shards")] = static_cast<double>(t.config().dataShards);
    json[QStringLiteral("final")] = saeTrainMetricsToJson(m, SaeMetricsFields::Summary);
    printJson(json);
    return kExitOk;
}

}  // namespace gyrus::cli
