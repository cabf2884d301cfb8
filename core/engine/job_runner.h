#pragma once

#include "core/base/status.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMetaType>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QString>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

class QThread;

namespace gyrus {

/// Identifies one request to the engine. Monotonic: a panel that remembers the last id it asked
/// for can drop any older result (stale-result rule, ARCHITECTURE.md §3).
using RequestId = quint64;

/// Progress of a long job, as shown in a panel or status bar.
struct JobProgress
{
    double fraction = 0.0;  ///< 0..1, or < 0 when unknown
    QString message;        ///< e.g. "step 1200 / 20000 · 41k tokens/s · ETA 3 min"
};

/// What a job step sees of its request. Engine thread only.
class JobContext
{
public:
    RequestId id() const { return m_id; }

    /// True once cancel(id) or cancelAll() was called; a step checks it at safe points and
    /// returns JobStep::Done (the runner then reports Status::cancelled()). A job that has
    /// started gets one more slice after a cancel between slices, with this true, to clean up.
    bool isCancelled() const;

    /// Reports progress; throttled to about 20 signals per second and to visible changes, so a
    /// tight loop may call it on every iteration.
    void reportProgress(double fraction, const QString &message = QString());

private:
    friend class JobRunner;
    RequestId m_id = 0;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
    class JobRunner *m_runner = nullptr;
    QElapsedTimer m_sinceProgress;
    double m_lastFraction = -2.0;
};

/// What a job step asks for next.
enum class JobStep
{
    Continue,  ///< run me again after the requests queued meanwhile (the next slice)
    Done,      ///< finished: the runner emits finished(id, status())
};

/// A unit of engine work. `step` runs on the engine thread, once for a short job or once per
/// slice for a long one (training, caching, scans), and sets `*status` before returning Done.
/// Exceptions thrown by a step end the job with an error Status; they never cross a thread.
struct Job
{
    QString name;  ///< for logs: "load model", "train SAE"
    QString tag;   ///< non-empty: a newer job with the same tag replaces a queued one
    std::function<JobStep(JobContext &context, Status *status)> step;
};

/// Turns an exception thrown by a job into a Status. gyrus_gpu installs one that recognises
/// torch's out-of-memory errors; the default handles std::bad_alloc and std::exception.
using ExceptionTranslator = std::function<Status(std::exception_ptr)>;

/// One long-lived worker thread that runs Jobs in order (ARCHITECTURE.md §3): every call returns
/// at once; results come back as queued signals on the thread that created the runner.
/// - Tagged jobs are latest-wins: submitting a tagged job cancels a queued, not yet started job
///   with the same tag (it finishes with Cancelled "superseded").
/// - Long jobs return JobStep::Continue; they go to the back of the queue so that interactive
///   requests queued meanwhile are served between slices.
/// - cancel()/cancelAll() are thread-safe and never block.
/// - The destructor cancels everything, runs the shutdown closure on the worker thread (so torch
///   objects die on the thread that made them) and joins the thread.
class JobRunner : public QObject
{
    Q_OBJECT
public:
    explicit JobRunner(const QString &threadName = QStringLiteral("gyrus-engine"),
                       QObject *parent = nullptr);
    ~JobRunner() override;

    JobRunner(const JobRunner &) = delete;
    JobRunner &operator=(const JobRunner &) = delete;

    /// Queues a job and returns its id. Thread-safe.
    RequestId submit(Job job);

    /// Asks a job to stop: a queued job is dropped (finished with Cancelled), a running one
    /// sees isCancelled() at its next check. Thread-safe, non-blocking. Unknown ids are ignored.
    void cancel(RequestId id);

    /// Cancels every queued and running job. Thread-safe, non-blocking.
    void cancelAll();

    /// Replaces how exceptions become a Status (call before submitting work).
    void setExceptionTranslator(ExceptionTranslator translator);

    /// Runs on the worker thread just before it exits (from the destructor or stop()).
    void setShutdown(std::function<void()> onWorkerThread);

    /// Cancels all work, runs the shutdown closure on the worker thread and joins it. Idempotent.
    void stop();

    /// The worker thread, for Q_ASSERT(QThread::currentThread() == runner.workerThread()).
    QThread *workerThread() const;

    /// Jobs queued or running (for "engine busy" indicators and tests).
    int pendingCount() const;

Q_SIGNALS:
    void started(gyrus::RequestId id, const QString &name);
    void progress(gyrus::RequestId id, const gyrus::JobProgress &progress);
    void finished(gyrus::RequestId id, const gyrus::Status &status);
    /// Emitted when the queue becomes empty (after a finished()).
    void idle();

private:
    friend class JobContext;

    struct Entry
    {
        RequestId id = 0;
        Job job;
        std::shared_ptr<JobContext> context;
        bool superseded = false;
        bool startedOnce = false;
        QElapsedTimer clock;
    };

    void schedule();  // posts one runNext() to the worker
    void runNext();   // worker thread
    Status translate(std::exception_ptr error) const;

    QThread *m_thread;
    QObject *m_worker;  // lives on m_thread; target of queued calls
    mutable QMutex m_mutex;
    std::deque<Entry> m_queue;
    QHash<RequestId, std::shared_ptr<std::atomic<bool>>> m_cancelFlags;
    QSet<RequestId> m_running;
    RequestId m_nextId = 1;
    ExceptionTranslator m_translator;
    std::function<void()> m_shutdown;
    bool m_stopped = false;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::JobProgress)
