#include "core/engine/job_runner.h"

#include "core/base/logging.h"

#include <QThread>

#include <new>

namespace gyrus {

namespace {
constexpr qint64 kProgressIntervalMs = 50;  // at most ~20 progress signals per second

Status defaultTranslation(std::exception_ptr error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::bad_alloc &) {
        return Status::error(Status::Code::OutOfMemory,
                             QStringLiteral("out of memory: use a smaller batch or context, "
                                            "fewer features, or free memory and try again"));
    } catch (const std::exception &e) {
        return Status::internal(QString::fromUtf8(e.what()));
    } catch (...) {
        return Status::internal(QStringLiteral("unknown exception"));
    }
}
}  // namespace

bool JobContext::isCancelled() const
{
    return m_cancelled && m_cancelled->load(std::memory_order_relaxed);
}

void JobContext::reportProgress(double fraction, const QString &message)
{
    const bool first = !m_sinceProgress.isValid();
    if (!first && m_sinceProgress.elapsed() < kProgressIntervalMs) {
        return;
    }
    if (!first && qAbs(fraction - m_lastFraction) < 1e-3 && message.isEmpty()) {
        return;
    }
    m_sinceProgress.start();
    m_lastFraction = fraction;
    Q_EMIT m_runner->progress(m_id, JobProgress{fraction, message});
}

JobRunner::JobRunner(const QString &threadName, QObject *parent)
    : QObject(parent)
    , m_thread(new QThread)
    , m_worker(new QObject)
    , m_translator(&defaultTranslation)
{
    qRegisterMetaType<gyrus::RequestId>("gyrus::RequestId");
    qRegisterMetaType<gyrus::Status>();
    qRegisterMetaType<gyrus::JobProgress>();
    m_thread->setObjectName(threadName);
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

JobRunner::~JobRunner()
{
    stop();
    delete m_worker;  // the thread has finished: no event can reach it any more
    delete m_thread;
}

RequestId JobRunner::submit(Job job)
{
    QMutexLocker lock(&m_mutex);
    if (m_stopped) {
        qCWarning(lcEngine) << "engine stopped; ignoring request" << job.name;
        return 0;
    }
    Entry entry;
    entry.id = m_nextId++;
    entry.context = std::make_shared<JobContext>();
    entry.context->m_id = entry.id;
    entry.context->m_cancelled = std::make_shared<std::atomic<bool>>(false);
    entry.context->m_runner = this;
    if (!job.tag.isEmpty()) {
        // Latest wins: an older request with this tag that has not started is now pointless.
        for (Entry &queued : m_queue) {
            if (queued.job.tag == job.tag && !queued.startedOnce) {
                queued.context->m_cancelled->store(true);
                queued.superseded = true;
            }
        }
    }
    entry.job = std::move(job);
    m_cancelFlags.insert(entry.id, entry.context->m_cancelled);
    const RequestId id = entry.id;
    m_queue.push_back(std::move(entry));
    lock.unlock();
    schedule();
    return id;
}

void JobRunner::cancel(RequestId id)
{
    QMutexLocker lock(&m_mutex);
    if (auto flag = m_cancelFlags.value(id)) {
        flag->store(true);
    }
}

void JobRunner::cancelAll()
{
    QMutexLocker lock(&m_mutex);
    for (const auto &flag : std::as_const(m_cancelFlags)) {
        flag->store(true);
    }
}

void JobRunner::setExceptionTranslator(ExceptionTranslator translator)
{
    QMutexLocker lock(&m_mutex);
    m_translator = translator ? std::move(translator) : ExceptionTranslator(&defaultTranslation);
}

void JobRunner::setShutdown(std::function<void()> onWorkerThread)
{
    QMutexLocker lock(&m_mutex);
    m_shutdown = std::move(onWorkerThread);
}

void JobRunner::stop()
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_stopped) {
            return;
        }
        m_stopped = true;
    }
    cancelAll();
    // Queued after every pending slice: those see their cancel flag and end quickly.
    QMetaObject::invokeMethod(
            m_worker,
            [this] {
                std::function<void()> shutdown;
                {
                    QMutexLocker lock(&m_mutex);
                    shutdown = std::move(m_shutdown);
                }
                if (shutdown) {
                    try {
                        shutdown();
                    } catch (...) {
                        qCCritical(lcEngine) << "engine shutdown threw; continuing";
                    }
                }
                QThread::currentThread()->quit();
            },
            Qt::QueuedConnection);
    m_thread->wait();
}

QThread *JobRunner::workerThread() const
{
    return m_thread;
}

int JobRunner::pendingCount() const
{
    QMutexLocker lock(&m_mutex);
    return static_cast<int>(m_queue.size()) + static_cast<int>(m_running.size());
}

void JobRunner::schedule()
{
    QMetaObject::invokeMethod(
            m_worker, [this] { runNext(); }, Qt::QueuedConnection);
}

Status JobRunner::translate(std::exception_ptr error) const
{
    QMutexLocker lock(&m_mutex);
    ExceptionTranslator translator = m_translator;
    lock.unlock();
    try {
        return translator(error);
    } catch (...) {
        return defaultTranslation(error);
    }
}

void JobRunner::runNext()
{
    Q_ASSERT(QThread::currentThread() == m_thread);
    Entry entry;
    {
        QMutexLocker lock(&m_mutex);
        if (m_queue.empty()) {
            return;
        }
        entry = std::move(m_queue.front());
        m_queue.pop_front();
        m_running.insert(entry.id);
    }
    JobContext &context = *entry.context;
    const bool firstSlice = !entry.startedOnce;
    Status status;
    JobStep next = JobStep::Done;
    if (context.isCancelled() && firstSlice) {
        // Never started: nothing to clean up.
        status =
                Status::cancelled(entry.superseded ? QStringLiteral("superseded by a newer request")
                                                   : QStringLiteral("cancelled"));
    } else {
        if (firstSlice) {
            entry.startedOnce = true;
            entry.clock.start();
            qCDebug(lcEngine) << "start" << entry.id << entry.job.name << entry.job.tag;
            Q_EMIT started(entry.id, entry.job.name);
        }
        const bool cancelledBefore = context.isCancelled();
        try {
            next = entry.job.step(context, &status);
        } catch (...) {
            status = translate(std::current_exception());
            next = JobStep::Done;
        }
        if (cancelledBefore) {
            // That was the started job's clean-up slice (save a checkpoint, say): it ends here
            // even if it asked for more.
            next = JobStep::Done;
        }
        if (next == JobStep::Done && status.isOk() && context.isCancelled()) {
            status = Status::cancelled();
        }
    }

    bool nowIdle = false;
    {
        QMutexLocker lock(&m_mutex);
        m_running.remove(entry.id);
        if (next == JobStep::Continue) {
            m_queue.push_back(std::move(entry));
        } else {
            m_cancelFlags.remove(entry.id);
            nowIdle = m_queue.empty();
        }
    }
    if (next == JobStep::Continue) {
        schedule();
        return;
    }
    qCDebug(lcEngine) << "end" << entry.id << entry.job.name << status.codeName()
                      << (entry.clock.isValid() ? entry.clock.elapsed() : 0) << "ms";
    Q_EMIT finished(entry.id, status);
    if (nowIdle) {
        Q_EMIT idle();
    }
}

}  // namespace gyrus
