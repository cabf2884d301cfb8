#include "gpu/distributed/process_group.h"

#include "gpu/sae/training/batch_reducer.h"

#include <QCryptographicHash>
#include <QElapsedTimer>

#include <c10/util/Logging.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <thread>

namespace gyrus::gpu {

namespace {

// Buckets of at most this many bytes per all-reduce: large enough that the per-collective
// latency is amortised, small enough that several are in flight at once (DDP uses 25 MB on
// GPUs; a CPU all-reduce over TCP saturates earlier).
constexpr int64_t kBucketBytes = 8 << 20;

// The first line of an exception's message (c10::Error's what() carries a backtrace).
QString firstLine(const std::exception &error)
{
    const auto *c10Error = dynamic_cast<const c10::Error *>(&error);
    const QString text = QString::fromStdString(
            c10Error != nullptr ? c10Error->what_without_backtrace() : error.what());
    const QString line = text.section(QLatin1Char('\n'), 0, 0).trimmed();
    return line.isEmpty() ? QStringLiteral("unknown error") : line;
}

std::vector<uint8_t> bytesOf(const QByteArray &value)
{
    return std::vector<uint8_t>(value.begin(), value.end());
}

QByteArray fromBytes(const std::vector<uint8_t> &value)
{
    return QByteArray(reinterpret_cast<const char *>(value.data()),
                      static_cast<qsizetype>(value.size()));
}

// c10d logs every failed bind and connect attempt as warnings on stderr; our own one-line
// errors say what failed, so its log is limited to fatal messages.
void quietC10dLog()
{
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = std::max(FLAGS_minloglevel, 3);
#else
    FLAGS_caffe2_log_level = std::max(FLAGS_caffe2_log_level, 3);
#endif
}

bool isLoopback(const QString &address)
{
    return address == QLatin1String("localhost") || address.startsWith(QLatin1String("127.")) ||
           address == QLatin1String("::1");
}

class GlooReducer final : public detail::BatchReducer
{
public:
    GlooReducer(c10::intrusive_ptr<c10d::ProcessGroupGloo> group, int timeoutSeconds)
        : m_group(std::move(group))
        , m_timeoutSeconds(timeoutSeconds)
    {}

    int rank() const override { return m_group->getRank(); }

    int worldSize() const override { return m_group->getSize(); }

    void sum(const std::vector<at::Tensor> &tensors) override
    {
        QElapsedTimer clock;
        clock.start();
        // Buckets of one dtype each; a bucket of one contiguous tensor is reduced in place.
        std::vector<Bucket> buckets;
        std::map<at::ScalarType, size_t> open;  // dtype -> index of its bucket being filled
        for (const at::Tensor &tensor : tensors) {
            const int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
            auto it = open.find(tensor.scalar_type());
            if (it == open.end() || bucketBytes(buckets[it->second]) + bytes > kBucketBytes) {
                buckets.emplace_back();
                open[tensor.scalar_type()] = buckets.size() - 1;
                it = open.find(tensor.scalar_type());
            }
            buckets[it->second].members.push_back(tensor);
        }
        for (Bucket &bucket : buckets) {
            if (bucket.members.size() == 1 && bucket.members.front().is_contiguous()) {
                bucket.flat = bucket.members.front();
            } else {
                std::vector<at::Tensor> flat;
                for (const at::Tensor &member : bucket.members) {
                    flat.push_back(member.reshape({-1}));
                }
                bucket.flat = at::cat(flat);
            }
            std::vector<at::Tensor> one = {bucket.flat};
            bucket.work = run([&] { return m_group->allreduce(one); });
        }
        for (Bucket &bucket : buckets) {
            wait(bucket.work);
            if (!bucket.flat.is_same(bucket.members.front())) {
                int64_t offset = 0;
                for (const at::Tensor &member : bucket.members) {
                    member.copy_(bucket.flat.narrow(0, offset, member.numel()).view_as(member));
                    offset += member.numel();
                }
            }
        }
        m_seconds += clock.nsecsElapsed() / 1e9;
    }

    void minimum(const at::Tensor &tensor) override { reduce(tensor, c10d::ReduceOp::MIN); }

    void maximum(const at::Tensor &tensor) override { reduce(tensor, c10d::ReduceOp::MAX); }

    at::Tensor gather(const at::Tensor &tensor) override
    {
        QElapsedTimer clock;
        clock.start();
        std::vector<at::Tensor> input = {tensor.contiguous()};
        std::vector<std::vector<at::Tensor>> output(1);
        for (int r = 0; r < worldSize(); ++r) {
            output[0].push_back(at::empty_like(input[0]));
        }
        wait(run([&] { return m_group->allgather(output, input); }));
        m_seconds += clock.nsecsElapsed() / 1e9;
        return at::stack(output[0]);
    }

    double secondsInCollectives() const override { return m_seconds; }

private:
    struct Bucket
    {
        std::vector<at::Tensor> members;
        at::Tensor flat;
        c10::intrusive_ptr<c10d::Work> work;
    };

    static int64_t bucketBytes(const Bucket &bucket)
    {
        int64_t bytes = 0;
        for (const at::Tensor &member : bucket.members) {
            bytes += member.numel() * static_cast<int64_t>(member.element_size());
        }
        return bytes;
    }

    void reduce(const at::Tensor &tensor, c10d::ReduceOp::RedOpType op)
    {
        QElapsedTimer clock;
        clock.start();
        std::vector<at::Tensor> one = {tensor};
        c10d::AllreduceOptions options;
        options.reduceOp = c10d::ReduceOp(op);
        wait(run([&] { return m_group->allreduce(one, options); }));
        m_seconds += clock.nsecsElapsed() / 1e9;
    }

    template <typename Launch>
    c10::intrusive_ptr<c10d::Work> run(Launch &&launch)
    {
        try {
            return launch();
        } catch (const std::exception &error) {
            throw detail::CollectiveError(lostContact(error));
        }
    }

    void wait(const c10::intrusive_ptr<c10d::Work> &work)
    {
        try {
            work->wait();
        } catch (const std::exception &error) {
            throw detail::CollectiveError(lostContact(error));
        }
    }

    std::string lostContact(const std::exception &error) const
    {
        return QStringLiteral(
                       "lost contact with the other ranks during a collective (a rank "
                       "exited, or did not answer within %1 s): %2")
                .arg(m_timeoutSeconds)
                .arg(firstLine(error))
                .toStdString();
    }

    c10::intrusive_ptr<c10d::ProcessGroupGloo> m_group;
    int m_timeoutSeconds = 0;
    double m_seconds = 0;
};

}  // namespace

struct DistributedGroup::Impl
{
    DistributedEnvironment environment;
    int timeoutSeconds = 0;
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    std::shared_ptr<detail::BatchReducer> reducer;

    std::string key(const QString &name) const { return "gyrus/" + name.toStdString(); }
};

DistributedGroup::DistributedGroup()
    : m_impl(std::make_unique<Impl>())
{}

DistributedGroup::~DistributedGroup()
{
    // The Gloo group before the store it rendezvoused through.
    m_impl->reducer.reset();
    m_impl->group.reset();
}

Result<std::shared_ptr<DistributedGroup>> DistributedGroup::join(
        const DistributedEnvironment &environment, int timeoutSeconds)
{
    std::shared_ptr<DistributedGroup> group(new DistributedGroup());
    Impl &impl = *group->m_impl;
    impl.environment = environment;
    impl.timeoutSeconds = std::max(1, timeoutSeconds);
    const QString where =
            QStringLiteral("%1:%2").arg(environment.masterAddress).arg(environment.masterPort);
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(environment.masterPort);
    options.isServer = environment.rank == 0;
    options.numWorkers = static_cast<std::size_t>(environment.worldSize);
    options.waitWorkers = true;
    options.timeout = std::chrono::seconds(impl.timeoutSeconds);
    quietC10dLog();
    // A client that reached something other than rank 0's store (another program on the port)
    // would wait for its answer forever: the store is built on a thread, and given up after
    // the timeout (the thread stays blocked; the process is about to exit with the error).
    auto building = std::make_shared<std::promise<c10::intrusive_ptr<c10d::TCPStore>>>();
    std::future<c10::intrusive_ptr<c10d::TCPStore>> built = building->get_future();
    std::thread([building, host = environment.masterAddress.toStdString(), options] {
        try {
            building->set_value(c10::make_intrusive<c10d::TCPStore>(host, options));
        } catch (...) {
            building->set_exception(std::current_exception());
        }
    }).detach();
    if (built.wait_for(std::chrono::seconds(impl.timeoutSeconds + 5)) !=
        std::future_status::ready) {
        return Status::invalidInput(
                QStringLiteral("the rendezvous at %1 did not answer within %2 s (is the port "
                               "rank 0's, and MASTER_ADDR/MASTER_PORT the same on every rank? "
                               "another program may hold it)")
                        .arg(where)
                        .arg(impl.timeoutSeconds));
    }
    try {
        impl.store = built.get();
    } catch (const std::exception &error) {
        const QString reason = firstLine(error);
        const QString full = QString::fromUtf8(error.what());
        if (environment.rank == 0 && (full.contains(QLatin1String("Address already in use")) ||
                                      full.contains(QLatin1String("errno: 98")) ||
                                      full.contains(QLatin1String("failed to listen")))) {
            return Status::invalidInput(
                    QStringLiteral("MASTER_PORT %1 is in use on this host (another run or "
                                   "program listens there): choose a free port")
                            .arg(environment.masterPort));
        }
        if (environment.rank == 0) {
            return Status::invalidInput(
                    QStringLiteral("the rendezvous at %1 failed: not every rank joined within "
                                   "%2 s, or the port cannot be served (%3)")
                            .arg(where)
                            .arg(impl.timeoutSeconds)
                            .arg(reason));
        }
        return Status::invalidInput(
                QStringLiteral("cannot reach rank 0's rendezvous at %1 within %2 s (is rank 0 "
                               "running, and MASTER_ADDR/MASTER_PORT the same on every rank?): %3")
                        .arg(where)
                        .arg(impl.timeoutSeconds)
                        .arg(reason));
    }
    return group;
}

const DistributedEnvironment &DistributedGroup::environment() const
{
    return m_impl->environment;
}

int DistributedGroup::rank() const
{
    return m_impl->environment.rank;
}

int DistributedGroup::worldSize() const
{
    return m_impl->environment.worldSize;
}

Status DistributedGroup::checkSameConfiguration(const QByteArray &fingerprint, const QString &what)
{
    Impl &impl = *m_impl;
    const int rank = impl.environment.rank;
    const int world = impl.environment.worldSize;
    const QByteArray mine =
            QCryptographicHash::hash(fingerprint, QCryptographicHash::Sha256).toHex().left(16);
    QList<int> differing;
    try {
        impl.store->set(impl.key(QStringLiteral("config/%1").arg(rank)), bytesOf(mine));
        if (rank == 0) {
            for (int r = 1; r < world; ++r) {
                if (fromBytes(impl.store->get(impl.key(QStringLiteral("config/%1").arg(r)))) !=
                    mine) {
                    differing.append(r);
                }
            }
        } else if (fromBytes(impl.store->get(impl.key(QStringLiteral("config/0")))) != mine) {
            differing.append(0);
        }
        // Rank 0 serves the store: it leaves only after every rank has read what it needs.
        impl.store->add(impl.key(QStringLiteral("config-read")), 1);
        if (rank == 0) {
            QElapsedTimer clock;
            clock.start();
            while (impl.store->add(impl.key(QStringLiteral("config-read")), 0) < world) {
                if (clock.elapsed() > impl.timeoutSeconds * 1000LL) {
                    return Status::invalidInput(
                            QStringLiteral("not every rank compared its %1 within %2 s")
                                    .arg(what)
                                    .arg(impl.timeoutSeconds));
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
    } catch (const std::exception &error) {
        return Status::invalidInput(QStringLiteral("comparing the %1 with the other ranks failed "
                                                   "(a rank exited or did not answer within %2 "
                                                   "s): %3")
                                            .arg(what)
                                            .arg(impl.timeoutSeconds)
                                            .arg(firstLine(error)));
    }
    if (differing.isEmpty()) {
        return Status::ok();
    }
    QStringList ranks;
    for (int r : differing) {
        ranks << QString::number(r);
    }
    return Status::invalidInput(
            QStringLiteral("the %1 differs from rank%2 %3's (fingerprint %4 here): start every "
                           "rank with the same arguments")
                    .arg(what, differing.size() > 1 ? QStringLiteral("s") : QString(),
                         ranks.join(QStringLiteral(", ")), QString::fromLatin1(mine)));
}

Status DistributedGroup::startCollectives()
{
    Impl &impl = *m_impl;
    if (impl.reducer) {
        return Status::ok();
    }
    try {
        auto options = c10d::ProcessGroupGloo::Options::create(
                std::chrono::milliseconds(impl.timeoutSeconds * 1000LL));
        const QByteArray interface = qgetenv("GLOO_SOCKET_IFNAME");
        if (!interface.isEmpty()) {
            options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForInterface(interface.toStdString()));
        } else if (isLoopback(impl.environment.masterAddress)) {
            options->devices.push_back(
                    c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        } else {
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        options->threads = 2;
        auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", impl.store);
        impl.group = c10::make_intrusive<c10d::ProcessGroupGloo>(
                prefixed, impl.environment.rank, impl.environment.worldSize, options);
    } catch (const std::exception &error) {
        return Status::invalidInput(
                QStringLiteral("starting the Gloo process group failed (a rank exited or did not "
                               "connect within %1 s): %2")
                        .arg(impl.timeoutSeconds)
                        .arg(firstLine(error)));
    }
    impl.reducer = std::make_shared<GlooReducer>(impl.group, impl.timeoutSeconds);
    return Status::ok();
}

Status DistributedGroup::startTogether(const Status &mine)
{
    Impl &impl = *m_impl;
    const int rank = impl.environment.rank;
    const int world = impl.environment.worldSize;
    const QByteArray message = mine.isOk() ? QByteArray() : mine.message().toUtf8();
    if (Status published = publish(QStringLiteral("start/%1").arg(rank), message);
        !published.isOk()) {
        return mine.isOk() ? published : mine;
    }
    Status first = Status::ok();
    for (int r = 0; r < world; ++r) {
        if (r == rank) {
            continue;
        }
        Result<QByteArray> other = waitFor(QStringLiteral("start/%1").arg(r));
        if (!other) {
            first = other.status();
            break;
        }
        if (!other.value().isEmpty()) {
            first = Status::invalidInput(QStringLiteral("rank %1 could not start: %2")
                                                 .arg(r)
                                                 .arg(QString::fromUtf8(other.value())));
            break;
        }
    }
    try {
        // Rank 0 serves the store: it stays until every rank has read the others' answers.
        impl.store->add(impl.key(QStringLiteral("start-read")), 1);
        if (rank == 0) {
            QElapsedTimer clock;
            clock.start();
            while (impl.store->add(impl.key(QStringLiteral("start-read")), 0) < world &&
                   clock.elapsed() < impl.timeoutSeconds * 1000LL) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
    } catch (const std::exception &) {
        // A rank that left already: its own line says why.
    }
    if (!mine.isOk()) {
        return mine;
    }
    if (!first.isOk()) {
        return first;
    }
    return startCollectives();
}

std::shared_ptr<detail::BatchReducer> DistributedGroup::reducer() const
{
    return m_impl->reducer;
}

Status DistributedGroup::publish(const QString &key, const QByteArray &value)
{
    try {
        m_impl->store->set(m_impl->key(key), bytesOf(value));
    } catch (const std::exception &error) {
        return Status::invalidInput(QStringLiteral("publishing '%1' to the other ranks failed: %2")
                                            .arg(key, firstLine(error)));
    }
    return Status::ok();
}

Result<QByteArray> DistributedGroup::waitFor(const QString &key)
{
    try {
        return fromBytes(m_impl->store->get(m_impl->key(key)));
    } catch (const std::exception &error) {
        return Status::invalidInput(
                QStringLiteral("waiting for '%1' from another rank failed (it exited or did not "
                               "answer within %2 s): %3")
                        .arg(key)
                        .arg(m_impl->timeoutSeconds)
                        .arg(firstLine(error)));
    }
}

}  // namespace gyrus::gpu
