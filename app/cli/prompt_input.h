#pragma once
// The prompt options of the commands that read one model over one prompt (attribute, logit-lens,
// attention): --text (BOS prepended unless --no-bos) or --token-ids, and the tokens as JSON.

#include "core/base/status.h"
#include "gpu/model/language_model.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonArray>

#include <vector>

namespace gyrus::cli {

class PromptInput
{
public:
    explicit PromptInput(QCommandLineParser &parser);

    /// The token ids: exactly one of --text and --token-ids must be given.
    Result<std::vector<int>> tokens(const QCommandLineParser &parser,
                                    const gpu::LanguageModel &model) const;

private:
    QCommandLineOption m_text;
    QCommandLineOption m_tokenIds;
    QCommandLineOption m_noBos;
};

/// One token as the tokenizer shows it (its id when the model has no tokenizer).
QString tokenText(const gpu::LanguageModel &model, int id);

/// [{"id": 1, "text": "<s>"}, ...]
QJsonArray tokensJson(const gpu::LanguageModel &model, const std::vector<int> &tokens);

/// A token id from --NAME-id or the single token --NAME's text encodes to (no BOS); -1 when
/// neither is given.
Result<int> tokenOption(const QCommandLineParser &parser, const gpu::LanguageModel &model,
                        const QString &name);

}  // namespace gyrus::cli
