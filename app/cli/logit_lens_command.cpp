// gyrus-cli logit-lens: every layer's residual stream decoded through the final norm and the
// unembedding, per position: the top tokens and the probability of the token that follows.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/prompt_input.h"
#include "gpu/analysis/logit_lens.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runLogitLens(const QStringList &arguments)
{
    const QString name = QStringLiteral("logit-lens");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "The logit lens: the embeddings and every layer's residual stream decoded as if it "
            "were the last (final norm, unembedding, soft-cap), per position: the top tokens "
            "with their probabilities, and the probability and rank of the token that actually "
            "follows. The last row is the model's own output."));
    const ModelOptions modelOptions(parser);
    const PromptInput prompt(parser);
    parser.addOption({QStringLiteral("top"), QStringLiteral("Tokens per cell (default 5)."),
                      QStringLiteral("K")});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    const auto top = integerOption(parser, name, QStringLiteral("top"), 5, 1);
    if (!top) {
        return kExitBadInput;
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    const gpu::LanguageModel &lm = *model.value();
    Result<std::vector<int>> tokens = prompt.tokens(parser, lm);
    if (!tokens) {
        return failWith(name, tokens.status());
    }
    Result<gpu::LogitLensResult> lens = gpu::logitLens(lm, tokens.value(), int(*top));
    if (!lens) {
        return failWith(name, lens.status());
    }
    QJsonArray rows;
    for (int r = 0; r < lens->rows.size(); ++r) {
        QJsonArray positions;
        for (const gpu::LogitLensCell &cell : lens->cells[static_cast<size_t>(r)]) {
            QJsonArray topTokens;
            for (size_t k = 0; k < cell.topTokens.size(); ++k) {
                topTokens.append(QJsonObject{
                        {QStringLiteral("id"), cell.topTokens[k]},
                        {QStringLiteral("text"), tokenText(lm, cell.topTokens[k])},
                        {QStringLiteral("probability"), double(cell.topProbabilities[k])}});
            }
            QJsonObject entry{{QStringLiteral("top"), topTokens}};
            if (cell.nextRank >= 0) {
                entry[QStringLiteral("next_probability")] = double(cell.nextProbability);
                entry[QStringLiteral("next_rank")] = cell.nextRank;
            }
            positions.append(entry);
        }
        rows.append(QJsonObject{{QStringLiteral("hook"), lens->rows[r]},
                                {QStringLiteral("positions"), positions}});
    }
    printJson(QJsonObject{{QStringLiteral("model"), directory},
                          {QStringLiteral("tokens"), tokensJson(lm, lens->tokens)},
                          {QStringLiteral("rows"), rows}});
    return kExitOk;
}

}  // namespace

Command logitLensCommand()
{
    return {QStringLiteral("logit-lens"),
            QStringLiteral("Decode every layer's residual stream: layers × positions (JSON)."),
            &runLogitLens};
}

}  // namespace gyrus::cli
