// gyrus-cli represent: one vector per prompt-set item (a hook or SAE features, pooled), to HDF5
// for `gyrus-cli contrast` and `gyrus-cli rdm`.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/feature_table.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "core/hdf5/hdf5_writer.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/representation_cache.h"
#include "gpu/sae/sae_io.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QStandardPaths>

namespace gyrus::cli {

namespace {

int runRepresent(const QStringList &arguments)
{
    const QString name = QStringLiteral("represent");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Run every item of a prompt set through the model and write one vector per item to "
            "HDF5: /features float32 [items, d] (the hook's activations, or the SAE's features "
            "with --sae), pooled over the item's tokens; /labels int32 [items] (level index of "
            "the first factor) and /labels_<factor> for every factor; /items int32 (item index "
            "in the set). Pooling: last, mean (BOS excluded), target (tokens overlapping the "
            "item's target ± --window), legacy-centred and legacy-left-first (the original "
            "project's windows with D = --window, for comparison), and window: no pooling, each "
            "item's aligned window of --window token positions (--align left: from the first "
            "token after BOS; target: from the first token of the item's target), written as /X "
            "float32 [items, positions, features] with /mask int32 [items, positions] (1: a real "
            "token; positions past an item's end are padding, never part of its pattern) and "
            "/features the mean over each item's real positions. Temporal RSA compares two items "
            "over the positions both have (select-features --method temporal-*)."));
    const ModelOptions model(parser);
    const QCommandLineOption prompts(QStringLiteral("prompts"),
                                     QStringLiteral("Prompt set (legacy or Gyrus JSON)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption hook(QStringLiteral("hook"),
                                  QStringLiteral("Hook point (default: the --sae's hook)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption sae(
            QStringLiteral("sae"),
            QStringLiteral("SAE directory: features instead of raw activations."),
            QStringLiteral("DIR"));
    const QCommandLineOption pooling(
            QStringLiteral("pooling"),
            QStringLiteral("last, mean, target, legacy-centred, legacy-left-first or window."),
            QStringLiteral("P"), QStringLiteral("mean"));
    const QCommandLineOption window(
            QStringLiteral("window"),
            QStringLiteral("± tokens around the target, D of a legacy window, or the positions of "
                           "an aligned window (pooling window; default 32)."),
            QStringLiteral("K"));
    const QCommandLineOption align(QStringLiteral("align"),
                                   QStringLiteral("Aligned windows start at: left or target."),
                                   QStringLiteral("A"), QStringLiteral("left"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("HDF5 file to write."),
                                 QStringLiteral("FILE.h5"));
    const QCommandLineOption cacheDir(
            QStringLiteral("cache-dir"),
            QStringLiteral("Where representations are cached per (model, hook, SAE, prompt set, "
                           "pooling) (default: the user's cache folder, gyrus/representations)."),
            QStringLiteral("DIR"));
    const QCommandLineOption noCache(QStringLiteral("no-cache"),
                                     QStringLiteral("Always run the model."));
    parser.addOptions({prompts, hook, sae, pooling, window, align, out, cacheDir, noCache});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&prompts, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    gpu::RepresentationOptions options;
    Result<QString> hookName = hookOrSaeHook(parser.value(hook), parser.value(sae));
    if (!hookName) {
        return failWith(name, hookName.status());
    }
    options.hookName = hookName.value();
    const std::optional<Pooling> chosen = fromName<Pooling>(parser.value(pooling));
    if (!chosen) {
        return fail(name, QStringLiteral("unknown pooling '%1' (last, mean, target, "
                                         "legacy-centred, legacy-left-first, window)")
                                  .arg(parser.value(pooling)));
    }
    options.pooling = *chosen;
    const Result<int64_t> tokens =
            parser.isSet(window) ? integerValue(parser, window, 0)
                                 : Result<int64_t>(options.pooling == Pooling::Window ? 32 : 0);
    if (!tokens) {
        return failWith(name, tokens.status());
    }
    options.window = int(*tokens);
    const std::optional<WindowAlignment> alignment = fromName<WindowAlignment>(parser.value(align));
    if (!alignment) {
        return fail(
                name,
                QStringLiteral("--align takes left or target, not '%1'").arg(parser.value(align)));
    }
    options.alignment = *alignment;
    Result<PromptSetLoad> loaded = loadPromptSet(parser.value(prompts));
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    const PromptSet &set = loaded->set;
    const QString directory = model.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model is required"));
    }
    auto languageModel = model.load(parser, directory);
    if (!languageModel) {
        return failWith(name, languageModel.status());
    }
    if (parser.isSet(sae)) {
        auto module = loadSaeForModel(name, parser.value(sae), *languageModel.value(), directory);
        if (!module) {
            return failWith(name, module.status());
        }
        options.sae = module.value();
    }
    bool hit = false;
    const QString cacheDirectory =
            parser.isSet(cacheDir)
                    ? parser.value(cacheDir)
                    : QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
                              QStringLiteral("/gyrus/representations");
    Result<gpu::PromptRepresentations> result =
            parser.isSet(noCache) ? gpu::promptRepresentations(*languageModel.value(), set, options)
                                  : gpu::cachedPromptRepresentations(
                                            *languageModel.value(), set, options,
                                            {directory, parser.value(sae), buildIdentity()},
                                            cacheDirectory, &hit);
    if (!result) {
        return failWith(name, result.status());
    }
    auto writer = Hdf5Writer::create(parser.value(out));
    if (!writer) {
        return failWith(name, writer.status());
    }
    const gpu::PromptRepresentations &r = result.value();
    Status status = writer.value()->writeFloat32(
            QStringLiteral("features"), {r.values.rows, r.values.cols}, r.values.values.data());
    if (status.isOk() && r.patterns.items > 0) {
        const gpu::TemporalTable &p = r.patterns;
        status = writer.value()->writeFloat32(QStringLiteral("X"),
                                              {p.items, p.positions, p.features}, p.values.data());
        const std::vector<int32_t> mask(p.mask.begin(), p.mask.end());
        if (status.isOk()) {
            status = writer.value()->writeInt32(QStringLiteral("mask"), {p.items, p.positions},
                                                mask.data());
        }
    }
    std::vector<int32_t> items(r.items.begin(), r.items.end());
    if (status.isOk()) {
        status = writer.value()->writeInt32(QStringLiteral("items"), {int64_t(items.size())},
                                            items.data());
    }
    for (int f = 0; f < set.factors.size() && status.isOk(); ++f) {
        const PromptFactor &factor = set.factors[f];
        std::vector<int32_t> labels;
        for (int item : r.items) {
            labels.push_back(
                    int32_t(factor.levels.indexOf(set.items[item].levels.value(factor.name))));
        }
        status = writer.value()->writeInt32(QStringLiteral("labels_") + factor.name,
                                            {int64_t(labels.size())}, labels.data());
        if (status.isOk() && f == 0) {
            status = writer.value()->writeInt32(QStringLiteral("labels"), {int64_t(labels.size())},
                                                labels.data());
        }
    }
    for (const auto &[key, value] :
         {std::pair{QStringLiteral("model"), directory},
          std::pair{QStringLiteral("prompts"), parser.value(prompts)},
          std::pair{QStringLiteral("hook_name"), options.hookName},
          std::pair{QStringLiteral("sae"), parser.value(sae)},
          std::pair{QStringLiteral("pooling"), nameOf(options.pooling)},
          std::pair{QStringLiteral("window"), QString::number(options.window)},
          std::pair{QStringLiteral("alignment"),
                    options.pooling == Pooling::Window ? nameOf(options.alignment) : QString()},
          // How windows of different lengths are compared (recorded for provenance).
          std::pair{QStringLiteral("length_matching"),
                    options.pooling == Pooling::Window ? QStringLiteral("pairwise common positions")
                    : options.pooling == Pooling::LegacyLeftFirst
                            ? QStringLiteral("none: zero-padded to D rows, padding included "
                                             "(the original project's defect)")
                            : QString()}}) {
        if (status.isOk()) {
            status = writer.value()->setAttribute(key, value);
        }
    }
    if (status.isOk()) {
        status = writer.value()->commit();
    }
    if (!status.isOk()) {
        return failWith(name, status);
    }
    QJsonArray notes;
    for (const QString &note : r.notes) {
        notes.append(note);
    }
    printJson(QJsonObject{{QStringLiteral("out"), parser.value(out)},
                          {QStringLiteral("items"), qint64(r.values.rows)},
                          {QStringLiteral("features"), qint64(r.values.cols)},
                          {QStringLiteral("pooling"), nameOf(options.pooling)},
                          {QStringLiteral("cache"), parser.isSet(noCache) ? QStringLiteral("off")
                                                    : hit                 ? QStringLiteral("hit")
                                                                          : QStringLiteral("miss")},
                          {QStringLiteral("dropped"), notes}});
    return kExitOk;
}

}  // namespace

Command representCommand()
{
    return {QStringLiteral("represent"),
            QStringLiteral("One vector per prompt-set item (hook or SAE features) to HDF5."),
            &runRepresent};
}

}  // namespace gyrus::cli
