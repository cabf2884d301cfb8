#include "core/llm/chat_job.h"

#include <QEventLoop>
#include <QTimer>

namespace gyrus {

ChatJob::ChatJob(ChatBackend *backend, QList<ChatRequest> requests, int concurrency,
                 QObject *parent)
    : QObject(parent)
    , m_backend(backend)
    , m_requests(std::move(requests))
    , m_concurrency(std::max(1, concurrency))
{
    for (qsizetype i = 0; i < m_requests.size(); ++i) {
        m_statuses.append(Status::cancelled(QStringLiteral("not sent")));
        m_replies.append(ChatReply{});
    }
    connect(backend, &ChatBackend::completed, this, &ChatJob::onCompleted);
}

void ChatJob::start()
{
    m_clock.start();
    if (m_requests.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            m_finished = true;
            Q_EMIT finished(Status::ok());
        });
        return;
    }
    Q_EMIT progress(0, total(), -1);
    sendMore();
}

void ChatJob::cancel()
{
    if (m_cancelled || m_finished) {
        return;
    }
    m_cancelled = true;
    if (m_inFlight.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            m_finished = true;
            Q_EMIT finished(Status::cancelled());
        });
        return;
    }
    if (m_backend) {
        const QList<quint64> ids = m_inFlight.keys();
        for (quint64 id : ids) {
            m_backend->cancel(id);
        }
    }
}

void ChatJob::sendMore()
{
    while (!m_cancelled && m_backend && m_inFlight.size() < m_concurrency &&
           m_next < m_requests.size()) {
        const int index = m_next++;
        m_inFlight.insert(m_backend->complete(m_requests[index]), index);
    }
}

void ChatJob::onCompleted(quint64 id, const Status &status, const ChatReply &reply)
{
    const auto it = m_inFlight.find(id);
    if (it == m_inFlight.end()) {
        return;  // another job's request on the same backend
    }
    const int index = it.value();
    m_inFlight.erase(it);
    m_statuses[index] = status;
    m_replies[index] = reply;
    ++m_done;
    const double elapsed = m_clock.elapsed() / 1000.0;
    Q_EMIT progress(m_done, total(), elapsed / m_done * (total() - m_done));
    if (m_cancelled) {
        if (m_inFlight.isEmpty()) {
            m_finished = true;
            Q_EMIT finished(Status::cancelled());
        }
        return;
    }
    sendMore();
    if (m_done == total()) {
        m_finished = true;
        Q_EMIT finished(Status::ok());
    }
}

Status runToCompletion(ChatJob &job)
{
    QEventLoop loop;
    Status result;
    QObject::connect(&job, &ChatJob::finished, &loop, [&](const Status &status) {
        result = status;
        loop.quit();
    });
    job.start();
    loop.exec();
    return result;
}

}  // namespace gyrus
