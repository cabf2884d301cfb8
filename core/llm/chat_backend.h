#pragma once
// A language model that answers chat conversations: the explainer and judge of auto-
// interpretation. Two kinds exist: an OpenAI-compatible HTTP endpoint (OpenAiChatClient) and
// Gyrus's own engine running a local instruct model. Both are asynchronous: complete() returns
// at once and every request ends in exactly one completed() signal.

#include "core/base/status.h"
#include "core/chat/chat_types.h"

#include <QObject>
#include <QString>

namespace gyrus {

class ChatBackend : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    /// Starts a request; its completed() follows (never synchronously inside this call).
    virtual quint64 complete(const ChatRequest &request) = 0;
    /// Cancels a request; it still ends in completed() with a Cancelled status.
    virtual void cancel(quint64 id) = 0;
    /// Who answers, for provenance: "openai http://host:8080/v1 model qwen3" (never a key).
    virtual QString describe() const = 0;

Q_SIGNALS:
    void completed(quint64 id, gyrus::Status status, gyrus::ChatReply reply);
};

}  // namespace gyrus
