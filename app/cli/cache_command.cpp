// gyrus-cli cache: stream a corpus through a model and cache one hook's activations in HDF5.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "gpu/sae/activation_cache.h"

#include <QElapsedTimer>
#include <QJsonObject>

#include <cstdio>

namespace gyrus::cli {

namespace {

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
            "train`."));
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
            QStringLiteral("Replace --out when it was made with other settings."));
    parser.addOptions({corpus, hook, context, tokens, batch, storage, out, overwrite});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&corpus, &hook, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    gpu::ActivationCacheOptions options;
    bool ok[3] = {false, false, false};
    options.contextLength = parser.value(context).toInt(&ok[0]);
    options.tokenBudget = parser.value(tokens).toLongLong(&ok[1]);
    options.batchSequences = parser.value(batch).toInt(&ok[2]);
    if (!ok[0] || !ok[1] || !ok[2]) {
        return fail(name, QStringLiteral("--context-length, --tokens and --batch take integers"));
    }
    options.corpusPath = parser.value(corpus);
    options.hookName = parser.value(hook);
    options.outPath = parser.value(out);
    options.overwrite = parser.isSet(overwrite);
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
