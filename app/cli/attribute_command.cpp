// gyrus-cli attribute: which SAE features at which positions drive one output (activation ×
// gradient, the SAE's error and decoder bias as their own nodes), optionally verified by ablation.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/prompt_input.h"
#include "app/cli/sae_loading.h"
#include "core/engine/hook_layer.h"
#include "gpu/analysis/attribution.h"

#include <QJsonArray>
#include <QJsonObject>

#include <optional>

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
            "the linear estimate. Several --sae (e.g. one per layer) share the forward and the "
            "backward: each is spliced in as its reconstruction plus its own error node, so each "
            "SAE's nodes add up to gradient × input at its own hook."));
    const ModelOptions modelOptions(parser);
    const PromptInput prompt(parser);
    parser.addOptions({
            {QStringLiteral("sae"),
             QStringLiteral("SAE directory (its hook is attributed). Repeatable: several SAEs "
                            "(e.g. one per layer) share the forward and the backward, and the "
                            "JSON lists one group per SAE with its hook and layer."),
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
    gpu::LanguageModel &lm = *model.value();  // takes the SAEs' conventions below
    const QStringList saePaths = parser.values(QStringLiteral("sae"));
    std::vector<std::shared_ptr<gpu::detail::SaeModule>> saes;
    std::optional<gpu::SaeConventions> conventions;
    for (const QString &path : saePaths) {
        auto sae = loadSaeForModel(name, path, lm, directory, lm.info().device);
        if (!sae) {
            return failWith(name, sae.status());
        }
        // One tokenisation and one forward serve every SAE: they must agree on BOS and centring.
        const gpu::SaeConventions own = lm.saeConventions();
        if (conventions && (own.prependBos != conventions->prependBos ||
                            own.centreResiduals != conventions->centreResiduals)) {
            return fail(name, QStringLiteral("%1: its prepend_bos or centring differs from %2's; "
                                             "attribute them in separate runs")
                                      .arg(path, saePaths.front()));
        }
        conventions = own;
        saes.push_back(sae.value());
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
    std::vector<const gpu::detail::SaeModule *> modules;
    for (const auto &sae : saes) {
        modules.push_back(sae.get());
    }
    Result<std::vector<gpu::AttributionResult>> results =
            gpu::attributeFeatures(lm, modules, tokens.value(), target);
    if (!results) {
        return failWith(name, results.status());
    }
    std::vector<QJsonObject> perSae;
    for (size_t i = 0; i < saes.size(); ++i) {
        const gpu::AttributionResult &result = results.value()[i];
        QJsonObject entry = resultJson(lm, result, static_cast<int>(*top));
        entry[QStringLiteral("sae")] = saePaths[static_cast<int>(i)];
        if (*verify > 0) {
            auto checks = gpu::verifyByAblation(lm, *saes[i], result, static_cast<int>(*verify));
            if (!checks) {
                return failWith(name, checks.status());
            }
            QJsonArray verified;
            for (const gpu::AblationCheck &check : checks.value()) {
                QJsonObject item = featureJson(check.feature);
                item[QStringLiteral("estimated_change")] = check.estimatedChange;
                item[QStringLiteral("actual_change")] = check.actualChange;
                verified.append(item);
            }
            entry[QStringLiteral("verify")] = verified;
        }
        perSae.push_back(entry);
    }
    QJsonObject json;
    if (perSae.size() == 1) {
        json = perSae.front();  // one SAE: the layout it always had
    } else {
        // Several: the prompt and the target once, then one group per SAE (its hook and layer).
        json = QJsonObject{{QStringLiteral("tokens"), perSae.front()[QStringLiteral("tokens")]},
                           {QStringLiteral("target"), perSae.front()[QStringLiteral("target")]}};
        QJsonArray groups;
        for (QJsonObject entry : perSae) {
            entry.remove(QStringLiteral("tokens"));
            entry.remove(QStringLiteral("target"));
            entry[QStringLiteral("layer")] = hookLayer(entry[QStringLiteral("hook")].toString());
            groups.append(entry);
        }
        json[QStringLiteral("saes")] = groups;
    }
    json[QStringLiteral("model")] = directory;
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
