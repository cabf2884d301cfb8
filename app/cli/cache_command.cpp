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
            "tokens, BOS first) and write the activations at --hook to HDF5: /activations float32 "
            "[N, d], /tokens, /doc_index, /position int32 [N], with provenance attributes. BOS "
            "positions are skipped; nothing is padded. The input for `gyrus-cli sae train`."));
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
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("The HDF5 file to write."),
                                 QStringLiteral("FILE.h5"));
    parser.addOptions({corpus, hook, context, tokens, batch, out});
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
                          {QStringLiteral("d_model"), result->columns},
                          {QStringLiteral("documents"), result->documents},
                          {QStringLiteral("normalisation_scale"), result->normalisationScale},
                          {QStringLiteral("tokens_per_s"), double(result->rows) / seconds}});
    return kExitOk;
}

}  // namespace

Command cacheCommand()
{
    return {QStringLiteral("cache"),
            QStringLiteral("Cache a hook's activations over a corpus in HDF5."), &runCache};
}

}  // namespace gyrus::cli
