// TorchEngineClient's chat requests: the loaded model answering as the explainer/judge of
// auto-interpretation (the "engine" endpoint), a thin adapter over ChatRun, one token per slice.

#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/chat_run.h"

namespace gyrus::gpu {

RequestId TorchEngineClient::chat(const ChatRequest &request)
{
    struct Run
    {
        std::unique_ptr<ChatRun> chat;
        quint64 modelEpoch = 0;  // the model the answer is generated with
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    // Untagged: every request of a batch is answered, none replaces another.
    return m_runner.submit(Job{
            QStringLiteral("chat"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (!run->chat) {
                    if (Status ready = state->requireModel(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    // Read per request: a few kilobytes, and always the loaded model's own.
                    Result<ChatTemplate> chatTemplate =
                            ChatTemplate::fromTokenizerConfig(state->modelCard.path);
                    if (!chatTemplate) {
                        *status = chatTemplate.status();
                        return JobStep::Done;
                    }
                    Result<std::unique_ptr<ChatRun>> started = ChatRun::start(
                            *state->model, chatTemplate.value(), request, state->modelCard.name);
                    if (!started) {
                        *status = started.status();
                        return JobStep::Done;
                    }
                    run->chat = std::move(started).value();
                    run->modelEpoch = state->modelEpoch;
                }
                if (state->modelEpoch != run->modelEpoch) {
                    *status = Status::cancelled(
                            QStringLiteral("chat stopped: the model was replaced"));
                    return JobStep::Done;
                }
                ChatRun &chat = *run->chat;
                if (Result<QString> piece = chat.step(); !piece) {
                    *status = piece.status();
                    return JobStep::Done;
                }
                context.reportProgress(
                        double(chat.tokensDone()) / qMax(1, chat.tokensTotal()),
                        QStringLiteral("answering, %1 tokens").arg(chat.tokensDone()));
                if (!chat.isFinished()) {
                    return JobStep::Continue;
                }
                Q_EMIT chatReplied(context.id(), chat.reply());
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
