#pragma once
// Routes the engine's results to the panel that asked (RenderDoc's GUIInvoke with a QPointer
// guard, written with Qt signals). EngineClient broadcasts every result to every listener; a
// panel that owns a RequestTracker starts each request in a named slot and registers its
// callbacks per slot once, so it never keeps or compares request ids itself:
//
//   enum Slot { Steer, NextToken };
//   m_requests = new RequestTracker(engine, this);
//   m_requests->onResult(Steer, &EngineClient::steeringToken,
//                        [this](SteeringStream stream, const QString &text) { ... });
//   m_requests->onFinished(Steer, [this](const Status &status) { ... });
//   ...
//   m_requests->start(Steer, m_engine->steer(request));  // cancels the slot's previous request
//
// Rules:
// - Latest wins per slot: start() cancels the request still running in the slot and drops
//   everything it reports afterwards, its finished() included.
// - A slot is free again before its onFinished callback runs, so the callback may start the
//   next request and isRunning() already tells the truth (no "forgot to reset the id").
// - The tracker is a child of its owner: its connections die with the owner, so a result that
//   arrives after the panel is gone reaches nobody.
// GUI thread (the thread of the engine client).

#include "core/engine/engine_client.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace gyrus {

class RequestTracker : public QObject
{
    Q_OBJECT
public:
    /// `owner` becomes the tracker's parent.
    RequestTracker(EngineClient *engine, QObject *owner);

    /// Tracks `id` (just returned by an EngineClient call) in `slot`, cancelling the request the
    /// slot held (latest wins). Returns `id`.
    RequestId start(int slot, RequestId id);

    /// Asks the engine to stop the slot's request; its onFinished callback still runs (with a
    /// Cancelled status, or OK if it finished first).
    void cancel(int slot);
    /// cancel() for every slot.
    void cancelAll();

    bool isRunning(int slot) const;
    bool anyRunning() const;
    /// The slot's request, 0 when none.
    RequestId current(int slot) const;

    /// Calls `callback` with the arguments after the id of `signal`, for the slot's current
    /// request only.
    template <typename... Args, typename Callback>
    void onResult(int slot, void (EngineClient::*signal)(RequestId, Args...), Callback callback)
    {
        connect(m_engine, signal, this, [this, slot, callback](RequestId id, Args... args) {
            if (id != 0 && id == current(slot)) {
                callback(args...);
            }
        });
    }

    /// Progress of the slot's current request.
    void onProgress(int slot, std::function<void(const JobProgress &)> callback);
    /// The end of the slot's current request (after every result it reported).
    void onFinished(int slot, std::function<void(const Status &)> callback);

Q_SIGNALS:
    /// A slot started or ended a request.
    void runningChanged();

private:
    void handleFinished(RequestId id, const Status &status);

    EngineClient *m_engine;
    QHash<int, RequestId> m_current;  // slot -> running request (absent: none)
    QHash<int, std::function<void(const Status &)>> m_finished;
};

}  // namespace gyrus
