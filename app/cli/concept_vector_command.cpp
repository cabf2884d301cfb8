// gyrus-cli concept-vector: a prompt set's contrast (condition A − B, mean over items at a hook
// and pooling) as a steering vector, and with --sae the features whose decoder rows it aligns with.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/concept_vector.h"
#include "gpu/engine/cards.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runConceptVector(const QStringList &arguments)
{
    const QString name = QStringLiteral("concept-vector");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "The concept vector of a prompt set's contrast: the mean representation of side A's "
            "items minus side B's at --hook (pooling as in `represent`: last, mean, target, ...), "
            "in the model's units, ready to add to the residual stream with a strength α. A side "
            "is a condition label (present_singular) or factor=level (tense=present). With --sae "
            "(at the same hook) the --top features whose decoder rows have the largest |cosine| "
            "with it."));
    const ModelOptions modelOptions(parser);
    parser.addOptions({
            {QStringLiteral("prompts"), QStringLiteral("Prompt set (legacy or Gyrus JSON)."),
             QStringLiteral("FILE")},
            {QStringLiteral("hook"), QStringLiteral("Hook point (default: the SAE's)."),
             QStringLiteral("NAME")},
            {QStringLiteral("a"), QStringLiteral("Side A: a condition or factor=level."),
             QStringLiteral("SIDE")},
            {QStringLiteral("b"), QStringLiteral("Side B: a condition or factor=level."),
             QStringLiteral("SIDE")},
            {QStringLiteral("pooling"), QStringLiteral("last, mean, target, ... (mean)."),
             QStringLiteral("P"), QStringLiteral("mean")},
            {QStringLiteral("window"), QStringLiteral("± tokens around the target (0)."),
             QStringLiteral("K")},
            {QStringLiteral("sae"),
             QStringLiteral("SAE directory: list the features it is made of."),
             QStringLiteral("DIR")},
            {QStringLiteral("top"), QStringLiteral("Features to list (default 20)."),
             QStringLiteral("N")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    for (const QString &required :
         {QStringLiteral("prompts"), QStringLiteral("a"), QStringLiteral("b")}) {
        if (!parser.isSet(required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required));
        }
    }
    if (!parser.isSet(QStringLiteral("hook")) && !parser.isSet(QStringLiteral("sae"))) {
        return fail(name, QStringLiteral("--hook NAME or --sae DIR is required"));
    }
    const auto top = integerOption(parser, name, QStringLiteral("top"), 20, 0);
    const auto window = integerOption(parser, name, QStringLiteral("window"), 0, 0);
    if (!top || !window) {
        return kExitBadInput;
    }
    gpu::ConceptVectorOptions options;
    const std::optional<Pooling> pooling =
            fromName<Pooling>(parser.value(QStringLiteral("pooling")));
    if (!pooling || *pooling == Pooling::Window) {
        return fail(name, QStringLiteral("--pooling takes last, mean, target, legacy-centred or "
                                         "legacy-left-first, not '%1'")
                                  .arg(parser.value(QStringLiteral("pooling"))));
    }
    options.pooling = *pooling;
    options.window = static_cast<int>(*window);
    options.sideA = parser.value(QStringLiteral("a"));
    options.sideB = parser.value(QStringLiteral("b"));
    options.topFeatures = static_cast<int>(*top);
    Result<PromptSetLoad> loaded = loadPromptSet(parser.value(QStringLiteral("prompts")));
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    if (parser.isSet(QStringLiteral("sae"))) {
        auto sae = loadSaeForModel(name, parser.value(QStringLiteral("sae")), *model.value(),
                                   directory);
        if (!sae) {
            return failWith(name, sae.status());
        }
        options.sae = sae.value();
    }
    options.hookName =
            parser.isSet(QStringLiteral("hook")) ? parser.value(QStringLiteral("hook")) : QString();
    if (options.hookName.isEmpty() && options.sae) {
        options.hookName =
                gpu::saeCard(*options.sae, parser.value(QStringLiteral("sae")), QString()).hookName;
    }
    Result<gpu::ConceptVector> concept = gpu::conceptVector(*model.value(), loaded->set, options);
    if (!concept) {
        return failWith(name, concept.status());
    }
    QJsonArray direction;
    for (const float v : concept->direction) {
        direction.append(double(v));
    }
    QJsonArray features;
    for (const gpu::ConceptFeature &f : concept->features) {
        features.append(QJsonObject{{QStringLiteral("feature"), f.feature},
                                    {QStringLiteral("cosine"), double(f.cosine)}});
    }
    QJsonObject json{{QStringLiteral("model"), directory},
                     {QStringLiteral("prompts"), parser.value(QStringLiteral("prompts"))},
                     {QStringLiteral("hook"), concept->hook},
                     {QStringLiteral("pooling"), nameOf(options.pooling)},
                     {QStringLiteral("a"), concept->sideA},
                     {QStringLiteral("b"), concept->sideB},
                     {QStringLiteral("items_a"), concept->itemsA},
                     {QStringLiteral("items_b"), concept->itemsB},
                     {QStringLiteral("norm"), concept->norm},
                     {QStringLiteral("vector"), direction}};
    if (options.sae) {
        json[QStringLiteral("features")] = features;
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command conceptVectorCommand()
{
    return {QStringLiteral("concept-vector"),
            QStringLiteral("A prompt set's contrast A − B as a steering vector (JSON)."),
            &runConceptVector};
}

}  // namespace gyrus::cli
