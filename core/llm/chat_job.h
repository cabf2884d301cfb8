#pragma once
// A batch of chat requests sent through one backend, with progress and cancel: what explain and
// score runs are made of. Requests are sent a few at a time (the backend spaces them further to
// its rate limit); every reply is kept in request order, failures included, so that a result
// can say exactly which answers were missing.

#include "core/llm/chat_backend.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>

namespace gyrus {

class ChatJob : public QObject
{
    Q_OBJECT
public:
    ChatJob(ChatBackend *backend, QList<ChatRequest> requests, int concurrency = 4,
            QObject *parent = nullptr);

    void start();
    /// Stops sending; outstanding requests are cancelled; finished() follows with Cancelled.
    void cancel();

    const QList<Status> &statuses() const { return m_statuses; }

    const QList<ChatReply> &replies() const { return m_replies; }

    int total() const { return int(m_requests.size()); }

Q_SIGNALS:
    /// done of total answered; etaSeconds < 0 while unknown.
    void progress(int done, int total, double etaSeconds);
    /// Ok once every request has answered (each may still have failed: see statuses()).
    void finished(gyrus::Status status);

private:
    void sendMore();
    void onCompleted(quint64 id, const Status &status, const ChatReply &reply);

    QPointer<ChatBackend> m_backend;
    QList<ChatRequest> m_requests;
    QList<Status> m_statuses;
    QList<ChatReply> m_replies;
    QHash<quint64, int> m_inFlight;  ///< backend id -> request index
    int m_concurrency;
    int m_next = 0;
    int m_done = 0;
    bool m_cancelled = false;
    bool m_finished = false;
    QElapsedTimer m_clock;
};

/// Runs a job to the end in a local event loop (the CLI; tests). Returns the job's status.
Status runToCompletion(ChatJob &job);

}  // namespace gyrus
