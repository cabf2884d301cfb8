// gyrus-cli attribute: which SAE features at which positions drive one output (activation ×
// gradient, the SAE's error and decoder bias as their own nodes), optionally verified by ablation.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/prompt_input.h"
#include "app/cli/sae_commands.h"
#include "app/cli/sae_loading.h"
#include "gpu/analysis/attribution.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

QJsonObject featureJson(const gpu::FeatureAttribution &f)
{
    return {{QStringLiteral("position"), f.position},
            {QStringLiteral("feature"), f.feature},
            {QStringLiteral("activation"), double(f.activation)},
            {QStringLiteral("gradient"), double(f.gradient)},
            {QStringLiteral("attribution"), double(f.attribution)}};
}

QJsonObject resultJson(const gpu::LanguageModel &model, const gpu::AttributionResult &result,
                       int top)
{
    const gpu::AttributionTarget &target = result.target;
    const bool difference = target.kind == gpu::AttributionTarget::Kind::LogitDifference;
    QJsonObject targetJson{{QStringLiteral("kind"), difference ? QStringLiteral("logit_difference")
                                                               : QStringLiteral("log_probability")},
                           {QStringLiteral("position"), target.position},
                           {QStringLiteral("token"), target.token},
                           {QStringLiteral("token_text"), tokenText(model, target.token)},
                           {QStringLiteral("value"), result.value}};
    if (difference) {
        targetJson[QStringLiteral("versus")] = target.versus;
        targetJson[QStringLiteral("versus_text")] = tokenText(model, target.versus);
    }
    std::vector<double> featuresAt(result.tokens.size(), 0.0);
    for (const gpu::FeatureAttribution &f : result.features) {
        featuresAt[static_cast<size_t>(f.position)] += f.attribution;
    }
    QJsonArray positions;
    for (size_t t = 0; t < result.tokens.size(); ++t) {
        positions.append(QJsonObject{{QStringLiteral("position"), static_cast<int>(t)},
                                     {QStringLiteral("features"), featuresAt[t]},
                                     {QStringLiteral("error"), result.errorAttribution[t]},
                                     {QStringLiteral("bias"), result.biasAttribution[t]},
                                     {QStringLiteral("total"), result.totalAttribution[t]}});
    }
    QJsonArray features;
    for (const gpu::FeatureAttribution &f : result.features) {
        if (features.size() >= top) {
            break;
        }
        features.append(featureJson(f));
    }
    return {{QStringLiteral("hook"), result.hook},
            {QStringLiteral("tokens"), tokensJson(model, result.tokens)},
            {QStringLiteral("target"), targetJson},
            {QStringLiteral("totals"),
             QJsonObject{{QStringLiteral("features"), result.featureSum()},
                         {QStringLiteral("error"), result.errorSum()},
                         {QStringLiteral("bias"), result.biasSum()},
                         {QStringLiteral("gradient_x_input"), result.total()}}},
            {QStringLiteral("positions"), positions},
            {QStringLiteral("active"), static_cast<int>(result.features.size())},
            {QStringLiteral("features"), features}};
}

int runAttribute(const QStringList &arguments)
{
    const QString name = QStringLiteral("attribute");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Attribute one output of the model to every active SAE feature at every position: "
            "activation × gradient of the target (one forward, one backward), with the SAE's "
            "error and decoder bias as their own nodes, so features + error + bias = gradient × "
            "input at the hook. Target: log p(--target) at --position, or with --versus the "
            "logit difference; defaults: the last position and the model's top next token. "
            "--verify K ablates the K largest one at a time and prints the real change beside "
            "the linear estimate."));
    const ModelOptions modelOptions(parser);
    const PromptInput prompt(parser);
    parser.addOptions({
            {QStringLiteral("sae"), QStringLiteral("SAE directory (its hook is attributed)."),
             QStringLiteral("DIR")},
            {QStringLiteral("position"), QStringLiteral("Target position (default: the last)."),
             QStringLiteral("P")},
            {QStringLiteral("target"), QStringLiteral("Target token, as text (one token)."),
             QStringLiteral("TOKEN")},
            {QStringLiteral("target-id"), QStringLiteral("Target token id."), QStringLiteral("ID")},
            {QStringLiteral("versus"),
             QStringLiteral("Subtracted token, as text: the target becomes the logit difference."),
             QStringLiteral("TOKEN")},
            {QStringLiteral("versus-id"), QStringLiteral("Subtracted token id."),
             QStringLiteral("ID")},
            {QStringLiteral("top"), QStringLiteral("Features to list (default 20)."),
             QStringLiteral("N")},
            {QStringLiteral("verify"),
             QStringLiteral("Ablate the K largest features one at a time (default 0)."),
             QStringLiteral("K")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    if (!parser.isSet(QStringLiteral("sae"))) {
        return fail(name, QStringLiteral("--sae DIR is required"));
    }
    const auto top = integerOption(parser, name, QStringLiteral("top"), 20, 0);
    const auto verify = integerOption(parser, name, QStringLiteral("verify"), 0, 0);
    const auto position = integerOption(parser, name, QStringLiteral("position"), -1, -1);
    if (!top || !verify || !position) {
        return kExitBadInput;
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    gpu::LanguageModel &lm = *model.value();  // takes the SAE's conventions below
    auto sae = loadSaeForModel(name, parser.value(QStringLiteral("sae")), lm, directory,
                               lm.info().device);
    if (!sae) {
        return failWith(name, sae.status());
    }
    Result<std::vector<int>> tokens = prompt.tokens(parser, lm);
    if (!tokens) {
        return failWith(name, tokens.status());
    }
    gpu::AttributionTarget target;
    target.position = static_cast<int>(*position);
    Result<int> token = tokenOption(parser, lm, QStringLiteral("target"));
    Result<int> versus = tokenOption(parser, lm, QStringLiteral("versus"));
    if (!token || !versus) {
        return failWith(name, token ? versus.status() : token.status());
    }
    target.token = token.value();
    target.versus = versus.value();
    if (target.versus >= 0) {
        target.kind = gpu::AttributionTarget::Kind::LogitDifference;
    }
    Result<gpu::AttributionResult> result =
            gpu::attributeFeatures(lm, *sae.value(), tokens.value(), target);
    if (!result) {
        return failWith(name, result.status());
    }
    QJsonObject json = resultJson(lm, result.value(), static_cast<int>(*top));
    json[QStringLiteral("model")] = directory;
    json[QStringLiteral("sae")] = parser.value(QStringLiteral("sae"));
    if (*verify > 0) {
        auto checks =
                gpu::verifyByAblation(lm, *sae.value(), result.value(), static_cast<int>(*verify));
        if (!checks) {
            return failWith(name, checks.status());
        }
        QJsonArray verified;
        for (const gpu::AblationCheck &check : checks.value()) {
            QJsonObject entry = featureJson(check.feature);
            entry[QStringLiteral("estimated_change")] = check.estimatedChange;
            entry[QStringLiteral("actual_change")] = check.actualChange;
            verified.append(entry);
        }
        json[QStringLiteral("verify")] = verified;
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command attributeCommand()
{
    return {QStringLiteral("attribute"),
            QStringLiteral("Attribute an output to SAE features × positions (JSON)."),
            &runAttribute};
}

}  // namespace gyrus::cli
