#pragma once
// A chat conversation answered by a loaded model as an instruct model, as a stepper: the
// messages rendered with the model's own chat template (tokenizer_config.json, the way
// transformers' apply_chat_template renders it), then one token per step(), so the engine
// serves other requests between the tokens of an answer and a cancel lands within one token.
//
//   auto run = ChatRun::start(model, chatTemplate, request, modelName);
//   while (!(*run)->isFinished()) {
//       Result<QString> piece = (*run)->step();
//   }
//   ChatReply reply = (*run)->reply();
//
// Greedy at temperature 0; otherwise sampled with the request's seed, so the same request gives
// the same answer. The answer ends at the model's EOS or the template's end-of-turn token (for
// example <|eot_id|>, <|im_end|>, <end_of_turn>), which is not part of the text. Torch-free;
// engine thread only; the model must outlive the run.

#include "core/base/status.h"
#include "core/chat/chat_template.h"
#include "core/chat/chat_types.h"
#include "gpu/model/language_model.h"

#include <memory>
#include <vector>

namespace gyrus::gpu {

class GenerationSession;

/// The prompt tokens of a rendered conversation. A tokenizer.json parses the template's special
/// tokens itself, and nothing is added (apply_chat_template's add_special_tokens=False); a
/// sentencepiece model cannot parse them, so a leading BOS text becomes the BOS id.
Result<std::vector<int>> encodeChatPrompt(const LanguageModel &model,
                                          const ChatTemplate &chatTemplate,
                                          const QString &rendered);

class ChatRun
{
public:
    /// Renders and encodes the conversation; nothing is generated yet. InvalidInput for an empty
    /// conversation, a template error (raise_exception) or a model without tokenizer.
    static Result<std::unique_ptr<ChatRun>> start(const LanguageModel &model,
                                                  const ChatTemplate &chatTemplate,
                                                  const ChatRequest &request,
                                                  const QString &modelName);

    ~ChatRun();
    ChatRun(const ChatRun &) = delete;
    ChatRun &operator=(const ChatRun &) = delete;

    /// One token (the prompt's prefill first): the text it adds to the answer, empty for the
    /// end-of-turn token or an incomplete character. Call only while !isFinished().
    Result<QString> step();

    bool isFinished() const;

    int tokensDone() const;

    int tokensTotal() const;

    /// The rendered prompt and its tokens (what the model saw).
    const QString &promptText() const;

    const std::vector<int> &promptTokens() const;

    /// The answer so far; finishReason "stop" (EOS or end of turn) or "length" once finished.
    ChatReply reply() const;

private:
    struct Impl;
    explicit ChatRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace gyrus::gpu
