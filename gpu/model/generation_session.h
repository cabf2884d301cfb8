#pragma once
// Generation one token at a time (torch-free facade). The engine runs one step per slice, so
// hover, clamp and analysis requests are served between the tokens of a long generation
// (ARCHITECTURE.md §3), and a cancel lands within one token.
//
//   Result<std::unique_ptr<GenerationSession>> session =
//           GenerationSession::start(model, prompt, options, hooks);   // nothing runs yet
//   while (!(*session)->isFinished()) {
//       Result<GeneratedToken> token = (*session)->step();  // prefill first, then one decode
//       ...                                                 // stream token->text
//   }
//   GenerateResult result = (*session)->result();
//
// LanguageModel::generate() is this loop (same tokens, same text, same stop reasons), so a
// caller can move from generate() with a callback to a session without changing results.
// The model, and the hooks when given, must outlive the session; the KV cache lives inside it.
// One thread (the engine thread) at a time.

#include "core/base/status.h"
#include "gpu/model/language_model.h"

#include <memory>
#include <vector>

namespace gyrus::gpu {

class GenerationSession
{
public:
    /// Encodes `prompt` (BOS per options.addBos) and prepares the generation. Fails on bad
    /// options, an empty prompt or a model without tokenizer.
    static Result<std::unique_ptr<GenerationSession>> start(const LanguageModel &model,
                                                            const QString &prompt,
                                                            const GenerateOptions &options,
                                                            detail::HookSet *hooks = nullptr);
    /// The same from token ids (a model without tokenizer gives tokens with empty text).
    static Result<std::unique_ptr<GenerationSession>> startFromTokens(
            const LanguageModel &model, const std::vector<int> &prompt,
            const GenerateOptions &options, detail::HookSet *hooks = nullptr);

    ~GenerationSession();
    GenerationSession(const GenerationSession &) = delete;
    GenerationSession &operator=(const GenerationSession &) = delete;

    /// Produces the next token: the first call runs the prompt (prefill), each later call one
    /// decode step. Its text is what the token adds to the continuation (empty while a
    /// character's bytes are incomplete). Call only while !isFinished(); torch errors
    /// (out of memory, ...) come back as a Status and finish the session.
    Result<GeneratedToken> step();

    /// True after max new tokens, EOS, cancel() or an error.
    bool isFinished() const;

    /// Stops early; result().stopReason becomes "cancelled".
    void cancel();

    /// Tokens produced so far.
    int tokensGenerated() const;

    /// The prompt's tokens, the new tokens, the continuation's text and why it stopped
    /// ("max-tokens", "eos", "cancelled"; empty while running).
    GenerateResult result() const;

private:
    struct Impl;
    explicit GenerationSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
