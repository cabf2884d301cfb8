#include "core/engine/request_tracker.h"

namespace gyrus {

RequestTracker::RequestTracker(EngineClient *engine, QObject *owner)
    : QObject(owner)
    , m_engine(engine)
{
    connect(m_engine, &EngineClient::finished, this, &RequestTracker::handleFinished);
}

RequestId RequestTracker::start(int slot, RequestId id)
{
    const RequestId previous = current(slot);
    if (previous != 0 && previous != id) {
        m_engine->cancel(previous);
    }
    if (id == 0) {
        m_current.remove(slot);
    } else {
        m_current.insert(slot, id);
    }
    Q_EMIT runningChanged();
    return id;
}

void RequestTracker::cancel(int slot)
{
    if (const RequestId id = current(slot); id != 0) {
        m_engine->cancel(id);
    }
}

void RequestTracker::cancelAll()
{
    for (auto it = m_current.cbegin(); it != m_current.cend(); ++it) {
        m_engine->cancel(it.value());
    }
}

bool RequestTracker::isRunning(int slot) const
{
    return current(slot) != 0;
}

bool RequestTracker::anyRunning() const
{
    return !m_current.isEmpty();
}

RequestId RequestTracker::current(int slot) const
{
    return m_current.value(slot, 0);
}

void RequestTracker::onProgress(int slot, std::function<void(const JobProgress &)> callback)
{
    onResult(slot, &EngineClient::progress, std::move(callback));
}

void RequestTracker::onFinished(int slot, std::function<void(const Status &)> callback)
{
    m_finished.insert(slot, std::move(callback));
}

void RequestTracker::handleFinished(RequestId id, const Status &status)
{
    if (id == 0) {
        return;
    }
    for (auto it = m_current.begin(); it != m_current.end(); ++it) {
        if (it.value() != id) {
            continue;
        }
        const int slot = it.key();
        m_current.erase(it);  // free before the callback, which may start the next request
        if (const auto callback = m_finished.value(slot)) {
            callback(status);
        }
        Q_EMIT runningChanged();
        return;
    }
}

}  // namespace gyrus
