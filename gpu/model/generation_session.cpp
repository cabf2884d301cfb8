#include "gpu/model/generation_session.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/generation.h"
#include "gpu/model/transformer.h"

#include <cmath>
#include <optional>

namespace gyrus::gpu {

struct GenerationSession::Impl
{
    const LanguageModel *model = nullptr;
    std::vector<int> prompt;
    std::optional<detail::GenerationStepper> stepper;
    QString promptText;
    QVector<int> all;  // prompt + new tokens, for decoding the continuation
    int emitted = 0;   // characters of the continuation already streamed
    bool failed = false;

    bool hasTokenizer() const { return model->tokenizer().vocabSize() > 0; }

    // The continuation's text is decode(prompt + new) minus decode(prompt): sentencepiece drops
    // a leading space when pieces are decoded on their own.
    QString continuation() const
    {
        const QString full = model->tokenizer().decode(all);
        return full.startsWith(promptText) ? full.mid(promptText.size()) : full;
    }
};

GenerationSession::GenerationSession(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

GenerationSession::~GenerationSession() = default;

Result<std::unique_ptr<GenerationSession>> GenerationSession::start(const LanguageModel &model,
                                                                    const QString &prompt,
                                                                    const GenerateOptions &options,
                                                                    detail::HookSet *hooks)
{
    Result<std::vector<int>> tokens = model.encode(prompt, options.addBos);
    if (!tokens) {
        return tokens.status();
    }
    return startFromTokens(model, *tokens, options, hooks);
}

Result<std::unique_ptr<GenerationSession>> GenerationSession::startFromTokens(
        const LanguageModel &model, const std::vector<int> &prompt, const GenerateOptions &options,
        detail::HookSet *hooks)
{
    if (prompt.empty()) {
        return Status::invalidInput(QStringLiteral("prompt: no tokens to run"));
    }
    const int vocab = model.config().vocabSize;
    for (const int id : prompt) {
        if (id < 0 || id >= vocab) {
            return Status::invalidInput(
                    QStringLiteral("prompt: token id %1 outside the vocabulary [0, %2)")
                            .arg(id)
                            .arg(vocab));
        }
    }
    if (options.maxNewTokens < 0) {
        return Status::invalidInput(
                QStringLiteral("max new tokens must be >= 0, got %1").arg(options.maxNewTokens));
    }
    if (!std::isfinite(options.temperature) || !(options.topP > 0.0)) {
        return Status::invalidInput(
                QStringLiteral("temperature must be finite and top-p > 0 (got %1 and %2)")
                        .arg(options.temperature)
                        .arg(options.topP));
    }
    detail::GenerationSettings settings;
    settings.maxNewTokens = options.maxNewTokens;
    settings.sampling = {options.temperature, options.topK, options.topP, options.seed};
    settings.eosId = options.stopAtEos ? model.config().eosTokenId : -1;

    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->prompt = prompt;
    impl->all = QVector<int>(prompt.begin(), prompt.end());
    if (impl->hasTokenizer()) {
        impl->promptText = model.tokenizer().decode(impl->all);
    }
    const std::vector<int64_t> prompt64(prompt.begin(), prompt.end());
    try {
        impl->stepper.emplace(model.tensorModel(), prompt64, settings, hooks);
    } catch (...) {
        return statusFromException(std::current_exception(), QStringLiteral("generate"));
    }
    return std::unique_ptr<GenerationSession>(new GenerationSession(std::move(impl)));
}

Result<GeneratedToken> GenerationSession::step()
{
    Impl &d = *m_impl;
    if (isFinished()) {
        return Status::invalidInput(QStringLiteral("generate: the generation has finished"));
    }
    int64_t id = 0;
    try {
        id = d.stepper->step();
    } catch (...) {
        d.failed = true;
        return statusFromException(std::current_exception(), QStringLiteral("generate"));
    }
    GeneratedToken token;
    token.id = static_cast<int>(id);
    d.all.push_back(token.id);
    if (d.hasTokenizer()) {
        token.piece = d.model->tokenizer().displayPiece(token.id);
        const QString text = d.continuation();
        // Hold back a character still missing bytes (U+FFFD).
        if (!text.endsWith(QChar::ReplacementCharacter) && text.size() >= d.emitted) {
            token.text = text.mid(d.emitted);
            d.emitted = static_cast<int>(text.size());
        }
    }
    return token;
}

bool GenerationSession::isFinished() const
{
    return m_impl->failed || m_impl->stepper->isFinished();
}

void GenerationSession::cancel()
{
    m_impl->stepper->cancel();
}

int GenerationSession::tokensGenerated() const
{
    return static_cast<int>(m_impl->stepper->output().tokens.size());
}

GenerateResult GenerationSession::result() const
{
    const Impl &d = *m_impl;
    const detail::GenerationOutput &output = d.stepper->output();
    GenerateResult result;
    result.promptTokens = d.prompt;
    result.tokens.assign(output.tokens.begin(), output.tokens.end());
    result.text = d.hasTokenizer() ? d.continuation() : QString();
    if (!isFinished()) {
        return result;
    }
    switch (output.reason) {
        case detail::StopReason::Eos:
            result.stopReason = QStringLiteral("eos");
            break;
        case detail::StopReason::Cancelled:
            result.stopReason = QStringLiteral("cancelled");
            break;
        default:
            result.stopReason = QStringLiteral("max-tokens");
            break;
    }
    return result;
}

}  // namespace gyrus::gpu
