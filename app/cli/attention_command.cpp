// gyrus-cli attention: the attention patterns (query × key) of a prompt, per layer and head.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/prompt_input.h"
#include "gpu/analysis/attention_patterns.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runAttention(const QStringList &arguments)
{
    const QString name = QStringLiteral("attention");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "The attention patterns of a prompt: per layer and head, each query's probabilities "
            "over the keys (rows sum to 1), with the family's scale, soft-cap, sliding window "
            "and causal mask. --layer and --head restrict the output."));
    const ModelOptions modelOptions(parser);
    const PromptInput prompt(parser);
    parser.addOptions(
            {{QStringLiteral("layer"), QStringLiteral("Only this layer."), QStringLiteral("L")},
             {QStringLiteral("head"), QStringLiteral("Only this head."), QStringLiteral("H")}});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    const auto layer = integerOption(parser, name, QStringLiteral("layer"), -1, 0);
    const auto head = integerOption(parser, name, QStringLiteral("head"), -1, 0);
    if (!layer || !head) {
        return kExitBadInput;
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    const gpu::LanguageModel &lm = *model.value();
    if (*head >= lm.config().numAttentionHeads) {
        return fail(name, QStringLiteral("--head %1 is outside the model's heads 0 to %2")
                                  .arg(*head)
                                  .arg(lm.config().numAttentionHeads - 1));
    }
    Result<std::vector<int>> tokens = prompt.tokens(parser, lm);
    if (!tokens) {
        return failWith(name, tokens.status());
    }
    QList<int> layers;
    if (*layer >= 0) {
        layers << static_cast<int>(*layer);
    }
    Result<gpu::AttentionPatterns> patterns = gpu::attentionPatterns(lm, tokens.value(), layers);
    if (!patterns) {
        return failWith(name, patterns.status());
    }
    QJsonArray layersJson;
    for (size_t i = 0; i < patterns->layers.size(); ++i) {
        const gpu::FloatTensor &pattern = patterns->patterns[i];
        const int64_t heads = pattern.shape[0];
        const int64_t queries = pattern.shape[1];
        const int64_t keys = pattern.shape[2];
        QJsonArray headsJson;
        for (int64_t h = 0; h < heads; ++h) {
            if (*head >= 0 && h != *head) {
                continue;
            }
            QJsonArray rows;
            for (int64_t q = 0; q < queries; ++q) {
                QJsonArray row;
                for (int64_t k = 0; k < keys; ++k) {
                    row.append(double(
                            pattern.values[static_cast<size_t>((h * queries + q) * keys + k)]));
                }
                rows.append(row);
            }
            headsJson.append(QJsonObject{{QStringLiteral("head"), static_cast<int>(h)},
                                         {QStringLiteral("pattern"), rows}});
        }
        layersJson.append(QJsonObject{{QStringLiteral("layer"), patterns->layers[i]},
                                      {QStringLiteral("heads"), headsJson}});
    }
    printJson(QJsonObject{{QStringLiteral("model"), directory},
                          {QStringLiteral("tokens"), tokensJson(lm, patterns->tokens)},
                          {QStringLiteral("layers"), layersJson}});
    return kExitOk;
}

}  // namespace

Command attentionCommand()
{
    return {QStringLiteral("attention"),
            QStringLiteral("Attention patterns per layer and head (JSON)."), &runAttention};
}

}  // namespace gyrus::cli
