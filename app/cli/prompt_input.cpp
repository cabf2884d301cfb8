#include "app/cli/prompt_input.h"

#include "app/cli/number_options.h"

#include <QJsonObject>

namespace gyrus::cli {

PromptInput::PromptInput(QCommandLineParser &parser)
    : m_text(QStringLiteral("text"), QStringLiteral("The prompt (BOS prepended)."),
             QStringLiteral("TEXT"))
    , m_tokenIds(QStringLiteral("token-ids"),
                 QStringLiteral("Token ids instead of text, as given (no BOS added): 1,450,22."),
                 QStringLiteral("IDS"))
    , m_noBos(QStringLiteral("no-bos"), QStringLiteral("Do not prepend BOS to --text."))
{
    parser.addOptions({m_text, m_tokenIds, m_noBos});
}

Result<std::vector<int>> PromptInput::tokens(const QCommandLineParser &parser,
                                             const gpu::LanguageModel &model) const
{
    if (parser.isSet(m_text) == parser.isSet(m_tokenIds)) {
        return Status::invalidInput(QStringLiteral("give exactly one of --text and --token-ids"));
    }
    if (parser.isSet(m_text)) {
        return model.encode(parser.value(m_text), !parser.isSet(m_noBos));
    }
    std::vector<int> ids;
    for (const QString &part :
         parser.value(m_tokenIds).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int id = part.trimmed().toInt(&ok);
        if (!ok) {
            return Status::invalidInput(
                    QStringLiteral("--token-ids: '%1' is not an integer token id").arg(part));
        }
        ids.push_back(id);
    }
    if (ids.empty()) {
        return Status::invalidInput(QStringLiteral("--token-ids: no token ids"));
    }
    return ids;
}

QString tokenText(const gpu::LanguageModel &model, int id)
{
    const gpu::Tokenizer &tokenizer = model.tokenizer();
    if (tokenizer.vocabSize() == 0 || id < 0 || id >= tokenizer.vocabSize()) {
        return QString::number(id);
    }
    return tokenizer.displayPiece(id);
}

QJsonArray tokensJson(const gpu::LanguageModel &model, const std::vector<int> &tokens)
{
    QJsonArray array;
    for (const int id : tokens) {
        array.append(QJsonObject{{QStringLiteral("id"), id},
                                 {QStringLiteral("text"), tokenText(model, id)}});
    }
    return array;
}

Result<int> tokenOption(const QCommandLineParser &parser, const gpu::LanguageModel &model,
                        const QString &name)
{
    const QString idOption = name + QStringLiteral("-id");
    if (parser.isSet(idOption)) {
        const Result<int64_t> id =
                parseInteger(idOption, parser.value(idOption), 0, model.config().vocabSize - 1);
        if (!id) {
            return id.status();
        }
        return int(*id);
    }
    if (!parser.isSet(name)) {
        return -1;
    }
    const QString text = parser.value(name);
    Result<std::vector<int>> ids = model.encode(text, false);
    if (!ids) {
        return ids.status();
    }
    if (ids->size() != 1) {
        return Status::invalidInput(
                QStringLiteral("--%1: '%2' is %3 tokens, not one; give the id with --%4")
                        .arg(name, text)
                        .arg(ids->size())
                        .arg(idOption));
    }
    return ids->front();
}

}  // namespace gyrus::cli
