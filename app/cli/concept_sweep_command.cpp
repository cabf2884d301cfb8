// gyrus-cli concept-sweep: steer by a prompt set's concept vector vs by its top contrast
// features over a grid of strengths α (gpu/sae/steering/concept_sweep.h, the Steering dock's
// sweep).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/sae/steering/concept_sweep.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

/// "0,1,2.5" → the numbers; std::nullopt when one is not a finite number.
std::optional<QList<double>> parseAlphas(const QString &text)
{
    QList<double> values;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double value = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(value)) {
            return std::nullopt;
        }
        values << value;
    }
    if (values.isEmpty()) {
        return std::nullopt;
    }
    return values;
}

QJsonObject resultJson(const ConceptSweepResult &result)
{
    QJsonArray features;
    for (const ConceptSweepFeature &feature : result.features) {
        features.append(QJsonObject{{QStringLiteral("feature"), feature.feature},
                                    {QStringLiteral("difference"), feature.difference}});
    }
    QJsonArray points;
    for (const ConceptSweepPoint &point : result.points) {
        points.append(QJsonObject{
                {QStringLiteral("alpha"), point.alpha},
                {QStringLiteral("concept_log_probability"), point.conceptLogProbability},
                {QStringLiteral("concept_kl"), point.conceptKl},
                {QStringLiteral("features_log_probability"), point.featuresLogProbability},
                {QStringLiteral("features_kl"), point.featuresKl}});
    }
    return QJsonObject{{QStringLiteral("hook"), result.hook},
                       {QStringLiteral("a"), result.sideA},
                       {QStringLiteral("b"), result.sideB},
                       {QStringLiteral("items_a"), result.itemsA},
                       {QStringLiteral("items_b"), result.itemsB},
                       {QStringLiteral("concept_norm"), result.conceptNorm},
                       {QStringLiteral("features_norm"), result.featuresNorm},
                       {QStringLiteral("cosine"), result.cosine},
                       {QStringLiteral("features"), features},
                       {QStringLiteral("target_id"), result.targetId},
                       {QStringLiteral("target"), result.targetPiece},
                       {QStringLiteral("baseline_log_probability"), result.baselineLogProbability},
                       {QStringLiteral("points"), points}};
}

int runConceptSweep(const QStringList &arguments)
{
    const QString name = QStringLiteral("concept-sweep");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Steer by a prompt set's concept vector or by its top contrast features, over a "
            "grid of strengths α: the vector is mean(A) − mean(B) at the SAE's hook (as "
            "`concept-vector` prints it), added as α·v after BOS; the features are the --top "
            "SAE features whose mean activation differs most between A and B, each added along "
            "its decoder row by α times that difference. For each α: log p(target) after "
            "--prompt and KL(baseline ‖ steered), both ways. A side is a condition label or "
            "factor=level."));
    const ModelOptions modelOptions(parser);
    parser.addOptions({
            {QStringLiteral("sae"), QStringLiteral("SAE directory (its hook is the vector's)."),
             QStringLiteral("DIR")},
            {QStringLiteral("prompts"), QStringLiteral("Prompt set (legacy or Gyrus JSON)."),
             QStringLiteral("FILE")},
            {QStringLiteral("a"), QStringLiteral("Side A: a condition or factor=level."),
             QStringLiteral("SIDE")},
            {QStringLiteral("b"), QStringLiteral("Side B: a condition or factor=level."),
             QStringLiteral("SIDE")},
            {QStringLiteral("pooling"), QStringLiteral("last, mean, target, ... (last)."),
             QStringLiteral("P"), QStringLiteral("last")},
            {QStringLiteral("prompt"), QStringLiteral("The text whose next token is read."),
             QStringLiteral("TEXT")},
            {QStringLiteral("alphas"), QStringLiteral("Strengths, comma-separated (0,0.5,1,2,4)."),
             QStringLiteral("LIST"), QStringLiteral("0,0.5,1,2,4")},
            {QStringLiteral("top"), QStringLiteral("Contrast features k (8)."),
             QStringLiteral("N")},
            {QStringLiteral("target"),
             QStringLiteral("Token tracked (its first token; default: the baseline's top)."),
             QStringLiteral("TEXT")},
            {QStringLiteral("progress"), QStringLiteral("Print the stage on stderr per step.")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    for (const QString &required :
         {QStringLiteral("sae"), QStringLiteral("prompts"), QStringLiteral("a"),
          QStringLiteral("b"), QStringLiteral("prompt")}) {
        if (!parser.isSet(required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required));
        }
    }
    const std::optional<QList<double>> alphas = parseAlphas(parser.value(QStringLiteral("alphas")));
    if (!alphas) {
        return fail(name, QStringLiteral("--alphas takes finite numbers separated by commas, not "
                                         "'%1'")
                                  .arg(parser.value(QStringLiteral("alphas"))));
    }
    const auto top = integerOption(parser, name, QStringLiteral("top"), 8, 1);
    if (!top) {
        return kExitBadInput;
    }
    const Result<Pooling> pooling = parseName<Pooling>(parser.value(QStringLiteral("pooling")));
    if (!pooling) {
        return failWith(name, pooling.status());
    }
    Result<PromptSetLoad> loaded = loadPromptSet(parser.value(QStringLiteral("prompts")));
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    auto sae =
            loadSaeForModel(name, parser.value(QStringLiteral("sae")), *model.value(), directory);
    if (!sae) {
        return failWith(name, sae.status());
    }
    ConceptSweepRequest request;
    request.prompt = parser.value(QStringLiteral("prompt"));
    request.concept.set = loaded->set;
    request.concept.sideA = parser.value(QStringLiteral("a"));
    request.concept.sideB = parser.value(QStringLiteral("b"));
    request.concept.pooling = pooling.value();
    request.topFeatures = static_cast<int>(*top);
    request.alphas = *alphas;
    request.targetToken = parser.value(QStringLiteral("target"));
    const bool progress = parser.isSet(QStringLiteral("progress"));
    Result<ConceptSweepResult> result =
            gpu::sweepConceptSteering(*model.value(), sae.value(), request,
                                      [progress](double fraction, const QString &stage) {
                                          if (progress) {
                                              std::fprintf(stderr, "concept-sweep: %s (%.0f%%)\n",
                                                           qPrintable(stage), 100.0 * fraction);
                                          }
                                          return true;
                                      });
    if (!result) {
        return failWith(name, result.status());
    }
    QJsonObject json = resultJson(result.value());
    json[QStringLiteral("model")] = directory;
    json[QStringLiteral("prompts")] = parser.value(QStringLiteral("prompts"));
    json[QStringLiteral("pooling")] = nameOf(request.concept.pooling);
    json[QStringLiteral("prompt")] = request.prompt;
    printJson(json);
    return kExitOk;
}

}  // namespace

Command conceptSweepCommand()
{
    return {QStringLiteral("concept-sweep"),
            QStringLiteral("Steer by a concept vector vs its top contrast features over α "
                           "(JSON)."),
            &runConceptSweep};
}

}  // namespace gyrus::cli
