// gyrus-cli patch: activation patching across a prompt set's minimal pairs. Each item that names
// a `pair` partner has its residual stream (or, with --features, those SAE features'
// contribution at the SAE's hook) copied into the partner's forward at every layer (feature) ×
// position, and the map says what fraction of the two items' logit difference each patch
// restores (mean over pairs, with a confidence interval).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/prompt_input.h"
#include "app/cli/sae_loading.h"
#include "app/cli/scan_json.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/activation_patching.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

/// NaN (an interval of fewer than two pairs) as null.
QJsonValue number(double value)
{
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

template <typename T>
QJsonArray matrixJson(const std::vector<std::vector<T>> &rows)
{
    QJsonArray out;
    for (const std::vector<T> &row : rows) {
        QJsonArray values;
        for (const T value : row) {
            values.append(number(double(value)));
        }
        out.append(values);
    }
    return out;
}

QJsonObject pairJson(const gpu::LanguageModel &model, const PromptSet &set,
                     const gpu::PairPatching &pair)
{
    return {{QStringLiteral("source"), set.items.at(pair.pair.source).id},
            {QStringLiteral("partner"), set.items.at(pair.pair.partner).id},
            {QStringLiteral("source_tokens"), tokensJson(model, pair.sourceTokens)},
            {QStringLiteral("partner_tokens"), tokensJson(model, pair.partnerTokens)},
            {QStringLiteral("token"), pair.token},
            {QStringLiteral("token_text"), tokenText(model, pair.token)},
            {QStringLiteral("versus"), pair.versus},
            {QStringLiteral("versus_text"), tokenText(model, pair.versus)},
            {QStringLiteral("clean"), pair.clean},
            {QStringLiteral("corrupted"), pair.corrupted},
            {QStringLiteral("restored"), matrixJson(pair.restored)}};
}

QJsonObject resultJson(const gpu::LanguageModel &model, const PromptSet &set,
                       const gpu::PatchingResult &result)
{
    const gpu::PatchingMap &map = result.map;
    QJsonArray pairs;
    for (const gpu::PairPatching &pair : result.pairs) {
        pairs.append(pairJson(model, set, pair));
    }
    QJsonArray skipped;
    for (const gpu::SkippedPair &pair : result.skipped) {
        skipped.append(QJsonObject{{QStringLiteral("source"), set.items.at(pair.pair.source).id},
                                   {QStringLiteral("partner"), set.items.at(pair.pair.partner).id},
                                   {QStringLiteral("reason"), pair.reason}});
    }
    QJsonArray features;
    for (const int feature : map.features) {
        features.append(feature);
    }
    return {{QStringLiteral("site"), map.site},
            {QStringLiteral("sae_hook"), map.saeHook},
            {QStringLiteral("features"), features},
            {QStringLiteral("hooks"), QJsonArray::fromStringList(map.hooks)},
            {QStringLiteral("positions"), map.positions},
            {QStringLiteral("align"),
             map.alignEnd ? QStringLiteral("end") : QStringLiteral("start")},
            {QStringLiteral("confidence"), map.confidence},
            {QStringLiteral("mean"), matrixJson(map.mean)},
            {QStringLiteral("low"), matrixJson(map.low)},
            {QStringLiteral("high"), matrixJson(map.high)},
            {QStringLiteral("count"), matrixJson(map.count)},
            {QStringLiteral("pairs"), pairs},
            {QStringLiteral("skipped"), skipped}};
}

int runPatch(const QStringList &arguments)
{
    const QString name = QStringLiteral("patch");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Activation patching across a prompt set's minimal pairs: for each item that names a "
            "\"pair\" partner, its activation at blocks.L.hook_<--site> is copied into the "
            "partner's forward at one layer and one position at a time, and the change of the "
            "logit difference logit(--target) − logit(--versus) at the partner's last position "
            "is given as the fraction of the two items' difference restored (0: none, 1: all). "
            "Default tokens: the source's own top next token versus the partner's. The map is "
            "the mean over pairs with a Student-t interval (pairs of different lengths lined up "
            "by --align); pairs whose two items tokenize to different lengths are skipped and "
            "listed. With --features F1,F2 and --sae DIR, what is patched is those SAE features' "
            "contribution at the SAE's hook (activation × decoder row, the reconstruction error "
            "and the other features left as the partner's): the map's rows are each feature "
            "alone, then all of them together, its columns the positions."));
    const ModelOptions modelOptions(parser);
    parser.addOptions({
            {QStringLiteral("prompts"), QStringLiteral("Prompt set with \"pair\" fields."),
             QStringLiteral("FILE")},
            {QStringLiteral("site"),
             QStringLiteral("resid_pre, resid_mid, resid_post, attn_out or mlp_out (resid_pre)."),
             QStringLiteral("SITE"), QStringLiteral("resid_pre")},
            {QStringLiteral("target"), QStringLiteral("Logit difference's token, as text."),
             QStringLiteral("TOKEN")},
            {QStringLiteral("target-id"), QStringLiteral("Its token id."), QStringLiteral("ID")},
            {QStringLiteral("versus"), QStringLiteral("The subtracted token, as text."),
             QStringLiteral("TOKEN")},
            {QStringLiteral("versus-id"), QStringLiteral("Its token id."), QStringLiteral("ID")},
            {QStringLiteral("confidence"), QStringLiteral("The interval's coverage (0.95)."),
             QStringLiteral("C")},
            {QStringLiteral("align"),
             QStringLiteral("Line pairs of different lengths up at their last token (end, the "
                            "default) or their first (start)."),
             QStringLiteral("end|start"), QStringLiteral("end")},
            {QStringLiteral("features"),
             QStringLiteral("Patch these SAE features (e.g. 12,40-42) instead of --site."),
             QStringLiteral("LIST")},
            {QStringLiteral("sae"), QStringLiteral("The SAE of --features (its hook is patched)."),
             QStringLiteral("DIR")},
            {QStringLiteral("no-bos"), QStringLiteral("Do not prepend BOS to the items.")},
            {QStringLiteral("progress"), QStringLiteral("Print the stage on stderr per step.")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    if (!parser.isSet(QStringLiteral("prompts"))) {
        return fail(name, QStringLiteral("--prompts FILE is required"));
    }
    const auto confidence = numberOption(parser, name, QStringLiteral("confidence"), 0.95, 0.0);
    if (!confidence) {
        return kExitBadInput;
    }
    const QString align = parser.value(QStringLiteral("align"));
    if (align != QLatin1String("end") && align != QLatin1String("start")) {
        return fail(name, QStringLiteral("--align takes end or start, not '%1'").arg(align));
    }
    Result<PromptSetLoad> loaded = loadPromptSet(parser.value(QStringLiteral("prompts")));
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    gpu::LanguageModel &lm = *model.value();
    std::shared_ptr<gpu::detail::SaeModule> sae;
    std::vector<int> features;
    if (parser.isSet(QStringLiteral("features"))) {
        if (!parser.isSet(QStringLiteral("sae"))) {
            return fail(name,
                        QStringLiteral("--features needs --sae DIR (the SAE they belong to)"));
        }
        auto loadedSae = loadSaeForModel(name, parser.value(QStringLiteral("sae")), lm, directory);
        if (!loadedSae) {
            return failWith(name, loadedSae.status());
        }
        sae = loadedSae.value();
        // The SAE's width is checked by the run (the message names it); this bound only keeps a
        // range from expanding without end.
        Result<QList<int>> list =
                parseFeatureList(parser.value(QStringLiteral("features")), 1 << 24);
        if (!list) {
            return failWith(name, list.status());
        }
        features.assign(list->begin(), list->end());
    } else if (parser.isSet(QStringLiteral("sae"))) {
        return fail(name, QStringLiteral("--sae is for --features: give the features to patch"));
    }
    Result<int> token = tokenOption(parser, lm, QStringLiteral("target"));
    Result<int> versus = tokenOption(parser, lm, QStringLiteral("versus"));
    if (!token || !versus) {
        return failWith(name, token ? versus.status() : token.status());
    }
    gpu::PatchingOptions options;
    options.site = parser.value(QStringLiteral("site"));
    options.features = features;
    options.token = token.value();
    options.versus = versus.value();
    options.confidence = *confidence;
    options.addBos = !parser.isSet(QStringLiteral("no-bos"));
    options.alignEnd = align == QLatin1String("end");
    const bool progress = parser.isSet(QStringLiteral("progress"));
    Result<gpu::PatchingResult> result = gpu::patchMinimalPairs(
            lm, loaded->set, options,
            [progress](double fraction, const QString &stage) {
                if (progress) {
                    std::fprintf(stderr, "patch: %s (%.0f%%)\n", qPrintable(stage),
                                 100.0 * fraction);
                }
                return true;
            },
            sae);
    if (!result) {
        return failWith(name, result.status());
    }
    QJsonObject json = resultJson(lm, loaded->set, result.value());
    json[QStringLiteral("model")] = directory;
    json[QStringLiteral("prompts")] = parser.value(QStringLiteral("prompts"));
    printJson(json);
    return kExitOk;
}

}  // namespace

Command patchCommand()
{
    return {QStringLiteral("patch"),
            QStringLiteral("Activation patching across a prompt set's minimal pairs (JSON)."),
            &runPatch};
}

}  // namespace gyrus::cli
