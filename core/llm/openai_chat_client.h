#pragma once
// The OpenAI chat-completions protocol over Qt Network (POST <base>/chat/completions, JSON or
// server-sent events), as llama.cpp's server, vLLM, Ollama and hosted APIs speak it.
// Transient failures (connection errors, timeouts, HTTP 408/429/5xx, a stream cut short) are
// retried with exponential backoff, waiting at least what a Retry-After header asks; requests are
// spaced to the endpoint's rate limit; the key goes only into the Authorization header.

#include "core/llm/chat_backend.h"
#include "core/llm/chat_endpoint.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QQueue>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace gyrus {

class OpenAiChatClient : public ChatBackend
{
    Q_OBJECT
public:
    /// endpoint must be an Http endpoint that validate()s; otherwise every request fails at once
    /// with that message (nothing is sent).
    explicit OpenAiChatClient(ChatEndpoint endpoint, QObject *parent = nullptr);
    ~OpenAiChatClient() override;

    quint64 complete(const ChatRequest &request) override;
    void cancel(quint64 id) override;
    QString describe() const override;

    /// The request body complete() sends (for tests and provenance).
    static QByteArray requestBody(const ChatRequest &request, const QString &model, bool stream);

private:
    struct Pending;

    void dispatch();
    void startAttempt(quint64 id);
    void onFinished(quint64 id, QNetworkReply *reply);
    void onTimeout(quint64 id);
    void retryOrFail(quint64 id, const Status &status, int retryAfterMs);
    void finish(quint64 id, const Status &status, const ChatReply &reply);

    ChatEndpoint m_endpoint;
    QNetworkAccessManager *m_network;
    QTimer *m_dispatchTimer;
    QHash<quint64, Pending *> m_pending;
    QQueue<quint64> m_queue;  ///< waiting for the rate limit or a retry time
    QElapsedTimer m_sinceLastStart;
    bool m_started = false;
    quint64 m_nextId = 1;
};

/// Parses a chat-completions answer (JSON body, or the concatenated "data:" events of a stream).
/// A malformed body or a stream without its final "[DONE]" is an InvalidInput saying so.
Result<ChatReply> parseChatCompletion(const QByteArray &body, bool stream);

/// Seconds or an HTTP date in a Retry-After header, as milliseconds (-1: absent or unreadable).
int retryAfterMs(const QByteArray &header);

}  // namespace gyrus
