#include "gpu/model/chat_run.h"

#include "gpu/model/generation_session.h"

#include <algorithm>
#include <limits>

namespace gyrus::gpu {

Result<std::vector<int>> encodeChatPrompt(const LanguageModel &model,
                                          const ChatTemplate &chatTemplate, const QString &rendered)
{
    const Tokenizer &tokenizer = model.tokenizer();
    if (tokenizer.vocabSize() == 0) {
        return Status::invalidInput(
                QStringLiteral("the model has no tokenizer: it cannot read a chat prompt"));
    }
    const QString &bos = chatTemplate.bosToken();
    if (tokenizer.kind() == QLatin1String("sentencepiece") && !bos.isEmpty() &&
        rendered.startsWith(bos) && tokenizer.bosId() >= 0) {
        return model.encode(rendered.mid(bos.size()), true);
    }
    return model.encode(rendered, false);
}

namespace {

/// Token ids that end the answer besides the model's EOS: the template's end-of-turn token
/// (Llama 3's <|eot_id|>, ChatML's <|im_end|>, Gemma's <end_of_turn>) when it is one token.
std::vector<int> endOfTurnIds(const LanguageModel &model, const ChatTemplate &chatTemplate)
{
    const Tokenizer &tokenizer = model.tokenizer();
    std::vector<int> ids;
    for (const QString &piece : {chatTemplate.eosToken(), QStringLiteral("<|eot_id|>"),
                                 QStringLiteral("<|im_end|>"), QStringLiteral("<end_of_turn>")}) {
        if (piece.isEmpty()) {
            continue;
        }
        const int id = tokenizer.pieceToId(piece);
        if (id >= 0 && id != tokenizer.unkId()) {
            ids.push_back(id);
        }
    }
    if (tokenizer.eosId() >= 0) {
        ids.push_back(tokenizer.eosId());
    }
    return ids;
}

}  // namespace

struct ChatRun::Impl
{
    std::unique_ptr<GenerationSession> session;
    QString promptText;
    std::vector<int> promptTokens;
    std::vector<int> stopIds;
    QString modelName;
    QString text;
    int maxTokens = 0;
    bool endedTurn = false;
};

ChatRun::ChatRun(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

ChatRun::~ChatRun() = default;

Result<std::unique_ptr<ChatRun>> ChatRun::start(const LanguageModel &model,
                                                const ChatTemplate &chatTemplate,
                                                const ChatRequest &request,
                                                const QString &modelName)
{
    if (request.messages.isEmpty()) {
        return Status::invalidInput(QStringLiteral("chat: the conversation has no message"));
    }
    if (request.maxTokens < 1) {
        return Status::invalidInput(
                QStringLiteral("chat: max tokens must be >= 1, got %1").arg(request.maxTokens));
    }
    Result<QString> rendered = chatTemplate.render(request.messages, true);
    if (!rendered) {
        return rendered.status();
    }
    Result<std::vector<int>> tokens = encodeChatPrompt(model, chatTemplate, rendered.value());
    if (!tokens) {
        return tokens.status();
    }
    GenerateOptions options;
    options.maxNewTokens = request.maxTokens;
    options.temperature = request.temperature;
    // A judge's seed is a signed 64-bit number (the OpenAI field); the sampler takes its bits.
    options.seed = static_cast<quint64>(request.seed.value_or(0));
    options.stopAtEos = true;
    Result<std::unique_ptr<GenerationSession>> session =
            GenerationSession::startFromTokens(model, tokens.value(), options);
    if (!session) {
        return session.status();
    }
    auto impl = std::make_unique<Impl>();
    impl->session = std::move(session).value();
    impl->promptText = rendered.value();
    impl->promptTokens = std::move(tokens).value();
    impl->stopIds = endOfTurnIds(model, chatTemplate);
    impl->modelName = modelName;
    impl->maxTokens = request.maxTokens;
    return std::unique_ptr<ChatRun>(new ChatRun(std::move(impl)));
}

Result<QString> ChatRun::step()
{
    Impl &d = *m_impl;
    if (isFinished()) {
        return Status::invalidInput(QStringLiteral("chat: the answer has finished"));
    }
    Result<GeneratedToken> token = d.session->step();
    if (!token) {
        return token.status();
    }
    if (std::find(d.stopIds.cbegin(), d.stopIds.cend(), token->id) != d.stopIds.cend()) {
        d.endedTurn = true;
        d.session->cancel();
        return QString();
    }
    d.text = d.session->result().text;
    return token->text;
}

bool ChatRun::isFinished() const
{
    return m_impl->endedTurn || m_impl->session->isFinished();
}

int ChatRun::tokensDone() const
{
    return m_impl->session->tokensGenerated();
}

int ChatRun::tokensTotal() const
{
    return m_impl->maxTokens;
}

const QString &ChatRun::promptText() const
{
    return m_impl->promptText;
}

const std::vector<int> &ChatRun::promptTokens() const
{
    return m_impl->promptTokens;
}

ChatReply ChatRun::reply() const
{
    const Impl &d = *m_impl;
    ChatReply reply;
    reply.text = d.text;
    reply.model = d.modelName;
    if (isFinished()) {
        const QString reason = d.session->result().stopReason;
        reply.finishReason = d.endedTurn || reason == QLatin1String("eos")
                                     ? QStringLiteral("stop")
                                     : QStringLiteral("length");
    }
    return reply;
}

}  // namespace gyrus::gpu
