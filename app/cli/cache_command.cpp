// gyrus-cli cache: stream a corpus through a model and cache one hook's activations in HDF5.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/distributed_run.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "gpu/distributed/process_group.h"
#include "gpu/sae/activations/activation_cache.h"
#include "gpu/sae/activations/activation_file.h"
#include "gpu/sae/activations/activation_shards.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

// What each rank of a sharded cache tells rank 0 through the store.
QString shardKey(int rank)
{
    return QStringLiteral("cache/shard/%1").arg(rank);
}

// Rank 0 of a sharded cache: waits for every rank's shard and writes the index.
Result<gpu::ActivationShardIndex> writeShardIndex(gpu::DistributedGroup &group, const QString &out,
                                                  int columns)
{
    gpu::ActivationShardIndex index;
    index.path = gpu::activationShardIndexPath(out);
    index.columns = columns;
    QStringList failed;
    double normSum = 0;
    for (int r = 0; r < group.worldSize(); ++r) {
        Result<QByteArray> reply = group.waitFor(shardKey(r));
        if (!reply) {
            return Status::invalidInput(QStringLiteral("no index written: rank %1 did not report "
                                                       "its shard (%2)")
                                                .arg(r)
                                                .arg(reply.status().message()));
        }
        const QJsonObject shard = QJsonDocument::fromJson(reply.value()).object();
        if (shard.contains(QStringLiteral("error"))) {
            failed << QString::number(r);
            continue;
        }
        index.shards.append({shard[QStringLiteral("file")].toString(),
                             static_cast<int64_t>(shard[QStringLiteral("rows")].toDouble()),
                             static_cast<int64_t>(shard[QStringLiteral("documents")].toDouble())});
        normSum += shard[QStringLiteral("norm_sum")].toDouble();
    }
    if (!failed.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("no index written: rank%1 %2 failed (see their lines)")
                        .arg(failed.size() > 1 ? QStringLiteral("s") : QString(),
                             failed.join(QStringLiteral(", "))));
    }
    const double meanNorm = normSum / static_cast<double>(std::max<int64_t>(1, index.rows()));
    index.normalisationScale = meanNorm > 0 ? std::sqrt(double(columns)) / meanNorm : 1.0;
    Result<gpu::ActivationFileInfo> first = gpu::inspectActivationFile(index.shards.front().file);
    if (!first) {
        return first.status();
    }
    // The provenance every shard shares.
    for (const char *key : {"model", "model_config_sha256", "model_dtype", "corpus",
                            "corpus_sha256", "hook_name", "context_length", "dtype"}) {
        const QString name = QString::fromLatin1(key);
        index.attributes.insert(name, first->attributes.value(name));
    }
    if (Status written = gpu::writeActivationShardIndex(index); !written.isOk()) {
        return written;
    }
    return index;
}

int runCache(const QStringList &arguments)
{
    const QString name = QStringLiteral("cache");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Run every line of a text corpus through the model (in windows of --context-length "
            "tokens, BOS first) and write the activations at --hook to HDF5: /activations "
            "float16 or float32 [N, d] (--storage; chunks of 1024 rows), /tokens, /doc_index, "
            "/position int32 [N], with provenance attributes (model, model_config_sha256, corpus, "
            "corpus_sha256, hook_name, context_length, token_budget, dtype) and "
            "normalisation_scale (s with E‖s·x‖ = √d). BOS positions are skipped; nothing is "
            "padded. Resumable: progress is flushed after every batch, and running the same "
            "command again after an interruption continues where it stopped (a finished file is "
            "left as it is). An existing --out made with other settings is refused, naming the "
            "attribute that differs, unless --overwrite is given. The input for `gyrus-cli sae "
            "train`. Distributed (torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or "
            "`gyrus-cli launch --nproc N -- cache ...`): rank r caches the corpus lines d with "
            "d mod N = r (disjoint documents; --tokens is split between the ranks) into "
            "OUT-0000r-of-0000N.h5, and rank 0 writes the index OUT.index.json that `sae train "
            "--activations` reads as one dataset."));
    const ModelOptions model(parser);
    const QCommandLineOption corpus(QStringLiteral("corpus"),
                                    QStringLiteral("Text, one sentence or paragraph per line."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption hook(QStringLiteral("hook"),
                                  QStringLiteral("Hook point, e.g. blocks.2.hook_resid_post."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption context(QStringLiteral("context-length"),
                                     QStringLiteral("Tokens per window, BOS included."),
                                     QStringLiteral("L"), QStringLiteral("128"));
    const QCommandLineOption tokens(QStringLiteral("tokens"),
                                    QStringLiteral("Activations to keep (0: the whole corpus)."),
                                    QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption batch(QStringLiteral("batch"),
                                   QStringLiteral("Windows per forward pass."), QStringLiteral("B"),
                                   QStringLiteral("16"));
    const QCommandLineOption storage(
            QStringLiteral("storage"),
            QStringLiteral("float16 (default: half the disk, ~3 significant digits) or float32. "
                           "(--dtype is the model's compute dtype, as in every command.)"),
            QStringLiteral("TYPE"), QStringLiteral("float16"));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("The HDF5 file to write or continue."),
                                 QStringLiteral("FILE.h5"));
    const QCommandLineOption overwrite(
            QStringLiteral("overwrite"),
            QStringLiteral("Replace --out when it was made with other settings. The new cache "
                           "is built beside it (FILE.h5.replacing) and replaces it once "
                           "complete: until then the old one stays as it was."));
    const QCommandLineOption timeout = distributedTimeoutOption();
    parser.addOptions({corpus, hook, context, tokens, batch, storage, out, overwrite, timeout});
    Result<gpu::DistributedEnvironment> environment = rankEnvironment();
    if (!environment) {
        return failWith(name, environment.status());
    }
    const gpu::DistributedEnvironment &env = environment.value();
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const int timeoutSeconds = parser.value(timeout).toInt();
    if (timeoutSeconds < 1) {
        return fail(name, QStringLiteral("--timeout must be a positive number of seconds"));
    }
    Result<std::shared_ptr<gpu::DistributedGroup>> group =
            joinRanks(env, arguments, timeoutSeconds, false);
    if (!group) {
        return failWith(name, group.status());
    }
    for (const QCommandLineOption *required : {&corpus, &hook, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    gpu::ActivationCacheOptions options;
    const Result<int64_t> contextLength = integerValue(parser, context, 1);
    const Result<int64_t> budget = integerValue(parser, tokens, 0, kInt64Max);
    const Result<int64_t> sequences = integerValue(parser, batch, 1);
    for (const Status &status : {contextLength.status(), budget.status(), sequences.status()}) {
        if (!status.isOk()) {
            return failWith(name, status);
        }
    }
    options.contextLength = int(*contextLength);
    options.tokenBudget = *budget;
    options.batchSequences = int(*sequences);
    options.corpusPath = parser.value(corpus);
    options.hookName = parser.value(hook);
    options.outPath = parser.value(out);
    options.overwrite = parser.isSet(overwrite);
    if (env.isDistributed()) {
        options.shardIndex = env.rank;
        options.shardCount = env.worldSize;
        options.outPath = gpu::activationShardPath(options.outPath, env.rank, env.worldSize);
        if (options.tokenBudget > 0) {
            // The budget split as evenly as it goes, the remainder to the first ranks.
            options.tokenBudget = options.tokenBudget / env.worldSize +
                                  (env.rank < options.tokenBudget % env.worldSize ? 1 : 0);
        }
    }
    if (parser.value(storage) == QLatin1String("float16")) {
        options.storage = gpu::ActivationStorage::Float16;
    } else if (parser.value(storage) == QLatin1String("float32")) {
        options.storage = gpu::ActivationStorage::Float32;
    } else {
        return fail(name, QStringLiteral("--storage must be float16 or float32 (got '%1')")
                                  .arg(parser.value(storage)));
    }
    const QString directory = model.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model is required"));
    }
    Result<std::unique_ptr<gpu::LanguageModel>> loaded = model.load(parser, directory);
    if (!loaded) {
        if (group.value()) {
            // Rank 0 waits for every shard's report: tell it this one will not come.
            group.value()->publish(
                    shardKey(env.rank),
                    QJsonDocument(QJsonObject{{QStringLiteral("error"), loaded.status().message()}})
                            .toJson(QJsonDocument::Compact));
        }
        return failWith(name, loaded.status());
    }
    QElapsedTimer clock;
    clock.start();
    QElapsedTimer sincePrint;
    sincePrint.start();
    Result<gpu::ActivationCacheResult> result =
            gpu::cacheActivations(*loaded.value(), options, [&](double fraction) {
                if (sincePrint.elapsed() > 2000) {
                    sincePrint.restart();
                    std::fprintf(stderr, "cache: %.1f%%\n", 100.0 * fraction);
                }
                return true;
            });
    if (group.value()) {
        // Every rank reports to rank 0, which writes the index once all shards are there.
        QJsonObject shard;
        if (result) {
            shard = {{QStringLiteral("file"), QFileInfo(options.outPath).absoluteFilePath()},
                     {QStringLiteral("rows"), double(result->rows)},
                     {QStringLiteral("documents"), double(result->documents)},
                     {QStringLiteral("norm_sum"), result->normSum}};
        } else {
            shard = {{QStringLiteral("error"), result.status().message()}};
        }
        const Status published = group.value()->publish(
                shardKey(env.rank), QJsonDocument(shard).toJson(QJsonDocument::Compact));
        if (!result) {
            return failWith(name, result.status());
        }
        if (!published.isOk()) {
            return failWith(name, published);
        }
        if (env.rank != 0) {
            return kExitOk;
        }
        Result<gpu::ActivationShardIndex> index =
                writeShardIndex(*group.value(), parser.value(out), result->columns);
        if (!index) {
            return failWith(name, index.status());
        }
        printJson(QJsonObject{{QStringLiteral("index"), index->path},
                              {QStringLiteral("shards"), static_cast<int>(index->shards.size())},
                              {QStringLiteral("rows"), double(index->rows())},
                              {QStringLiteral("d_model"), result->columns},
                              {QStringLiteral("hook"), options.hookName},
                              {QStringLiteral("normalisation_scale"), index->normalisationScale}});
        return kExitOk;
    }
    if (!result) {
        return failWith(name, result.status());
    }
    const double seconds = qMax<qint64>(1, clock.elapsed()) / 1000.0;
    printJson(QJsonObject{{QStringLiteral("out"), options.outPath},
                          {QStringLiteral("hook"), options.hookName},
                          {QStringLiteral("rows"), result->rows},
                          {QStringLiteral("resumed_from_row"), result->resumedFromRow},
                          {QStringLiteral("storage"), parser.value(storage)},
                          {QStringLiteral("d_model"), result->columns},
                          {QStringLiteral("documents"), result->documents},
                          {QStringLiteral("normalisation_scale"), result->normalisationScale},
                          {QStringLiteral("tokens_per_s"),
                           double(result->rows - result->resumedFromRow) / seconds}});
    return kExitOk;
}

}  // namespace

Command cacheCommand()
{
    return {QStringLiteral("cache"),
            QStringLiteral("Cache a hook's activations over a corpus in HDF5."), &runCache};
}

}  // namespace gyrus::cli
