// gyrus-cli scan: the data of feature dashboards (top examples in context, histogram, density,
// logit effects) for an SAE over a corpus, as JSON.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "gpu/analysis/corpus_scan.h"
#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/sae/sae_io.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <limits>

namespace gyrus::cli {

namespace {

/// Whether the features' boosted/suppressed lists are filled, and if not, why and how to get them.
QJsonObject logitEffectsNote(bool computed, const QString &option,
                             const gpu::CorpusScanOptions &options, const gpu::LanguageModel &model,
                             const gpu::detail::SaeModule &sae)
{
    QJsonObject note{{QStringLiteral("computed"), computed}};
    if (computed) {
        return note;
    }
    const double work = gpu::logitEffectsWork(model, sae);
    note.insert(QStringLiteral("multiply_adds"), work);
    note.insert(QStringLiteral("why_absent"),
                option == QLatin1String("none")
                        ? QStringLiteral("--logit-effects none")
                        : QStringLiteral("every feature's effects through the unembedding "
                                         "(features x vocabulary x d_model = %1 multiply-adds) "
                                         "are over the scan's limit of %2; --logit-effects all "
                                         "computes them anyway, the app's inspector computes "
                                         "the feature it shows")
                                  .arg(work, 0, 'g', 2)
                                  .arg(options.logitEffectsAtScanWork, 0, 'g', 2));
    return note;
}

int runScan(const QStringList &arguments)
{
    const QString name = QStringLiteral("scan");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Stream a corpus through the model and an SAE once and write, per feature: the top "
            "activating tokens with their context, a log10 activation histogram, the density "
            "(share "
            "of tokens where it is active) and its logit effects (tokens its decoder direction "
            "promotes and suppresses). JSON to --out; a summary on stdout."));
    const ModelOptions model(parser);
    const QCommandLineOption sae(QStringLiteral("sae"), QStringLiteral("SAE directory."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption corpus(QStringLiteral("corpus"),
                                    QStringLiteral("Text, one line per sentence."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption tokens(QStringLiteral("tokens"),
                                    QStringLiteral("Tokens to scan (0: all)."), QStringLiteral("N"),
                                    QStringLiteral("0"));
    const QCommandLineOption topK(QStringLiteral("top-k"), QStringLiteral("Examples per feature."),
                                  QStringLiteral("K"), QStringLiteral("20"));
    const QCommandLineOption context(QStringLiteral("context"),
                                     QStringLiteral("Tokens of context each side."),
                                     QStringLiteral("W"), QStringLiteral("8"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("JSON file to write."),
                                 QStringLiteral("FILE.json"));
    const QCommandLineOption scanFile(
            QStringLiteral("scan-file"),
            QStringLiteral("Also write the scan in the binary form the app's Features dock loads "
                           "(a file in its corpus-scan folder, or gyrus_scan.bin inside the SAE "
                           "directory to ship it with the SAE)."),
            QStringLiteral("FILE"));
    const QCommandLineOption logitEffects(
            QStringLiteral("logit-effects"),
            QStringLiteral("Which features get their boosted and suppressed tokens: auto (every "
                           "feature unless features x vocabulary x d_model is over 1e11 "
                           "multiply-adds, hours for a 262k SAE over a 256k vocabulary; the JSON "
                           "then says why they are absent), all, or none."),
            QStringLiteral("auto|all|none"), QStringLiteral("auto"));
    parser.addOptions({sae, corpus, tokens, topK, context, out, scanFile, logitEffects});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(out) && !parser.isSet(scanFile)) {
        return fail(name, QStringLiteral("--out or --scan-file is required"));
    }
    for (const QCommandLineOption *required : {&sae, &corpus}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    gpu::CorpusScanOptions options;
    const Result<int64_t> budget = integerValue(parser, tokens, 0, kInt64Max);
    const Result<int64_t> kept = integerValue(parser, topK, 0);
    const Result<int64_t> radiusValue = integerValue(parser, context, 0);
    for (const Result<int64_t> *value : {&budget, &kept, &radiusValue}) {
        if (!*value) {
            return failWith(name, value->status());
        }
    }
    options.tokenBudget = *budget;
    options.topK = int(*kept);
    const int radius = int(*radiusValue);
    options.corpusPath = parser.value(corpus);
    const QString effects = parser.value(logitEffects);
    if (effects == QLatin1String("all")) {
        options.logitEffectsAtScanWork = std::numeric_limits<double>::infinity();
    } else if (effects == QLatin1String("none")) {
        options.logitEffectsAtScanWork = -1;
    } else if (effects != QLatin1String("auto")) {
        return fail(name, QStringLiteral("--logit-effects takes auto, all or none"));
    }
    const QString directory = model.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model is required"));
    }
    auto languageModel = model.load(parser, directory);
    if (!languageModel) {
        return failWith(name, languageModel.status());
    }
    auto module = loadSaeForModel(name, parser.value(sae), *languageModel.value(), directory);
    if (!module) {
        return failWith(name, module.status());
    }
    const bool effectsComputed =
            gpu::logitEffectsAtScan(*languageModel.value(), *module.value(), options);
    Result<gpu::CorpusScan> scan =
            gpu::scanCorpus(*languageModel.value(), *module.value(), options);
    if (!scan) {
        return failWith(name, scan.status());
    }
    QJsonObject summary{{QStringLiteral("features"), qint64(scan->features.size())},
                        {QStringLiteral("scanned_tokens"), scan->scannedTokens}};
    if (parser.isSet(scanFile)) {
        const QString identity = gpu::saeIdentityOf(parser.value(sae), int(scan->features.size()));
        if (Status saved = gpu::saveCorpusScan(scan.value(), identity, parser.value(scanFile));
            !saved.isOk()) {
            return failWith(name, saved);
        }
        summary.insert(QStringLiteral("scan_file"), parser.value(scanFile));
    }
    if (!parser.isSet(out)) {
        printJson(summary);
        return kExitOk;
    }
    const gpu::Tokenizer &tokenizer = languageModel.value()->tokenizer();
    QJsonArray features;
    qint64 dead = 0;
    for (size_t f = 0; f < scan->features.size(); ++f) {
        const gpu::FeatureScan &s = scan->features[f];
        dead += s.top.empty() ? 1 : 0;
        auto exampleList = [&](const std::vector<gpu::FeatureExample> &list) {
            QJsonArray examples;
            for (const gpu::FeatureExample &e : list) {
                const gpu::ExampleContext c =
                        gpu::exampleContext(*languageModel.value(), scan.value(), e.token, radius);
                examples.append(QJsonObject{{QStringLiteral("activation"), double(e.activation)},
                                            {QStringLiteral("token_index"), e.token},
                                            {QStringLiteral("before"), c.before},
                                            {QStringLiteral("token"), c.token},
                                            {QStringLiteral("after"), c.after}});
            }
            return examples;
        };
        const QJsonArray examples = exampleList(s.top);
        QJsonArray binSamples;
        for (const std::vector<gpu::FeatureExample> &bin : s.binSamples) {
            binSamples.append(exampleList(bin));
        }
        QJsonArray histogram;
        for (qint64 count : s.histogram) {
            histogram.append(count);
        }
        auto tokenList = [&](const std::vector<int> &ids, const std::vector<float> &logits) {
            QJsonArray list;
            for (size_t i = 0; i < ids.size(); ++i) {
                list.append(QJsonObject{{QStringLiteral("token"), tokenizer.displayPiece(ids[i])},
                                        {QStringLiteral("id"), ids[i]},
                                        {QStringLiteral("logit"), double(logits[i])}});
            }
            return list;
        };
        features.append(QJsonObject{
                {QStringLiteral("feature"), qint64(f)},
                {QStringLiteral("density"), s.density},
                {QStringLiteral("examples"), examples},
                {QStringLiteral("histogram"), histogram},
                {QStringLiteral("bin_samples"), binSamples},
                {QStringLiteral("boosted"), tokenList(s.boosted, s.boostedLogits)},
                {QStringLiteral("suppressed"), tokenList(s.suppressed, s.suppressedLogits)}});
    }
    const QJsonObject document{{QStringLiteral("model"), directory},
                               {QStringLiteral("sae"), parser.value(sae)},
                               {QStringLiteral("hook_name"), scan->hookName},
                               {QStringLiteral("corpus"), options.corpusPath},
                               {QStringLiteral("scanned_tokens"), scan->scannedTokens},
                               {QStringLiteral("histogram_log10_range"),
                                QJsonArray{options.histogramLow, options.histogramHigh}},
                               {QStringLiteral("logit_effects"),
                                logitEffectsNote(effectsComputed, effects, options,
                                                 *languageModel.value(), *module.value())},
                               {QStringLiteral("features"), features}};
    QSaveFile file(parser.value(out));
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(document).toJson(QJsonDocument::Compact)) < 0 || !file.commit()) {
        return fail(name, QStringLiteral("%1: cannot write").arg(parser.value(out)));
    }
    summary.insert(QStringLiteral("out"), parser.value(out));
    summary.insert(QStringLiteral("never_active"), dead);
    printJson(summary);
    return kExitOk;
}

}  // namespace

Command scanCommand()
{
    return {QStringLiteral("scan"),
            QStringLiteral("Top examples, histograms and logit effects of SAE features."),
            &runScan};
}

}  // namespace gyrus::cli
