#pragma once
// A model's chat template (the Jinja template in its tokenizer_config.json, or a
// chat_template.jinja beside it), rendered the way transformers' apply_chat_template renders it,
// so that an instruct model sees the prompt format it was trained on.

#include "core/base/status.h"

#include <QList>
#include <QString>

#include <memory>

namespace gyrus {

namespace jinja {
class Template;
}

struct ChatMessage
{
    QString role;  ///< "system", "user" or "assistant"
    QString content;
};

class ChatTemplate
{
public:
    /// Reads the template and the BOS/EOS tokens from tokenizer_config.json in modelDir (or from
    /// the file itself when given one). A model without a chat template (a base model) is an
    /// InvalidInput naming the file.
    static Result<ChatTemplate> fromTokenizerConfig(const QString &path);
    /// A template given as source (for example from settings).
    static Result<ChatTemplate> fromSource(const QString &source, const QString &bosToken,
                                           const QString &eosToken);

    /// The prompt text for messages; addGenerationPrompt appends the assistant header so the
    /// model answers next. Errors from the template (raise_exception) come back as InvalidInput.
    Result<QString> render(const QList<ChatMessage> &messages, bool addGenerationPrompt) const;

    const QString &bosToken() const { return m_bos; }

    const QString &eosToken() const { return m_eos; }

    const QString &source() const { return m_source; }

private:
    std::shared_ptr<const jinja::Template> m_template;
    QString m_source;
    QString m_bos;
    QString m_eos;
};

}  // namespace gyrus
