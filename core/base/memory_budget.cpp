#include "core/base/memory_budget.h"

#include <QByteArray>
#include <QFile>

#include <algorithm>
#include <cmath>

#include <dlfcn.h>

namespace gyrus {

namespace {

// "12", "512M", "8G", "1.5G" -> bytes; -1 when unreadable.
qint64 parseByteCount(QString text)
{
    text = text.trimmed().toUpper();
    if (text.endsWith(QLatin1Char('B'))) {
        text.chop(1);
    }
    double scale = 1.0;
    if (!text.isEmpty()) {
        const QChar unit = text.back();
        const QString units = QStringLiteral("KMGT");
        if (const int power = units.indexOf(unit); power >= 0) {
            scale = std::pow(1024.0, power + 1);
            text.chop(1);
        }
    }
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || value < 0) {
        return -1;
    }
    return static_cast<qint64>(value * scale);
}

// A line "Key:   123 kB" of /proc/meminfo.
qint64 meminfoBytes(const QByteArray &meminfo, const QByteArray &key)
{
    for (const QByteArray &line : meminfo.split('\n')) {
        if (line.startsWith(QByteArray(key).append(':'))) {
            const QList<QByteArray> fields = line.mid(key.size() + 1).simplified().split(' ');
            bool ok = false;
            const qint64 kb = fields.value(0).toLongLong(&ok);
            return ok ? kb * 1024 : -1;
        }
    }
    return -1;
}

QByteArray readSmallFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.read(1 << 16);
}

// cgroup v2: what the group may still use (memory.max - memory.current); -1 without a limit.
qint64 cgroupRemaining()
{
    const QByteArray max = readSmallFile(QStringLiteral("/sys/fs/cgroup/memory.max")).trimmed();
    if (max.isEmpty() || max == "max") {
        return -1;
    }
    bool ok = false;
    const qint64 limit = max.toLongLong(&ok);
    const qint64 current =
            readSmallFile(QStringLiteral("/sys/fs/cgroup/memory.current")).trimmed().toLongLong();
    return ok ? std::max<qint64>(0, limit - current) : -1;
}

}  // namespace

qint64 processStatusBytes(const QByteArray &field)
{
    // The same "Key:   123 kB" lines as /proc/meminfo.
    return meminfoBytes(readSmallFile(QStringLiteral("/proc/self/status")), field);
}

void resetPeakResidentBytes()
{
    QFile clear(QStringLiteral("/proc/self/clear_refs"));
    if (clear.open(QIODevice::WriteOnly)) {
        clear.write("5");
    }
}

QString formatBytes(qint64 bytes)
{
    const double value = static_cast<double>(bytes);
    if (bytes >= 1000LL * 1000 * 1000) {
        return QStringLiteral("%1 GB").arg(value / 1e9, 0, 'f', 1);
    }
    if (bytes >= 1000LL * 1000) {
        return QStringLiteral("%1 MB").arg(value / 1e6, 0, 'f', 0);
    }
    if (bytes >= 1000) {
        return QStringLiteral("%1 KB").arg(value / 1e3, 0, 'f', 0);
    }
    return QStringLiteral("%1 bytes").arg(bytes);
}

qint64 availableMemoryBytes()
{
    const QByteArray override = qgetenv("GYRUS_MEMORY_AVAILABLE");
    if (!override.isEmpty()) {
        return parseByteCount(QString::fromLatin1(override));
    }
    qint64 available = meminfoBytes(readSmallFile(QStringLiteral("/proc/meminfo")), "MemAvailable");
    if (const qint64 group = cgroupRemaining(); group >= 0) {
        available = available < 0 ? group : std::min(available, group);
    }
    return available;
}

namespace {

// cudaMemGetInfo and friends from whichever CUDA runtime the process has (LibTorch's CUDA
// builds load one); nothing when none can be found.
struct CudaRuntime
{
    using GetDevice = int (*)(int *);
    using SetDevice = int (*)(int);
    using MemGetInfo = int (*)(size_t *, size_t *);
    GetDevice getDevice = nullptr;
    SetDevice setDevice = nullptr;
    MemGetInfo memGetInfo = nullptr;

    static const CudaRuntime &instance()
    {
        static const CudaRuntime runtime = open();
        return runtime;
    }

private:
    static CudaRuntime open()
    {
        CudaRuntime runtime;
        for (const char *name : {"libcudart.so.12", "libcudart.so.11.0", "libcudart.so"}) {
            // The copy already loaded (LibTorch's) first: it owns the device context.
            void *library = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
            if (!library) {
                library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
            }
            if (!library) {
                continue;
            }
            runtime.getDevice = reinterpret_cast<GetDevice>(dlsym(library, "cudaGetDevice"));
            runtime.setDevice = reinterpret_cast<SetDevice>(dlsym(library, "cudaSetDevice"));
            runtime.memGetInfo = reinterpret_cast<MemGetInfo>(dlsym(library, "cudaMemGetInfo"));
            if (runtime.getDevice && runtime.setDevice && runtime.memGetInfo) {
                return runtime;
            }
            runtime = CudaRuntime();
        }
        return runtime;
    }
};

}  // namespace

qint64 availableDeviceMemoryBytes(int index)
{
    const QByteArray override = qgetenv("GYRUS_DEVICE_MEMORY_AVAILABLE");
    if (!override.isEmpty()) {
        return parseByteCount(QString::fromLatin1(override));
    }
    const CudaRuntime &cuda = CudaRuntime::instance();
    if (!cuda.memGetInfo) {
        return -1;
    }
    // cudaMemGetInfo answers for the calling thread's current device: switch, ask, switch back.
    int previous = 0;
    if (cuda.getDevice(&previous) != 0) {
        return -1;
    }
    if (index != previous && cuda.setDevice(index) != 0) {
        return -1;
    }
    size_t freeBytes = 0;
    size_t totalBytes = 0;
    const int error = cuda.memGetInfo(&freeBytes, &totalBytes);
    if (index != previous) {
        cuda.setDevice(previous);
    }
    // Free as the driver sees it: memory LibTorch's caching allocator holds but does not use
    // counts as taken, so the check errs on the side of refusing.
    return error == 0 ? static_cast<qint64>(freeBytes) : -1;
}

qint64 availableMemoryBytesOn(const QString &device)
{
    const QString name = device.trimmed().toLower();
    if (name.isEmpty() || name == QLatin1String("cpu")) {
        return availableMemoryBytes();
    }
    if (name == QLatin1String("cuda")) {
        return availableDeviceMemoryBytes(0);
    }
    if (name.startsWith(QLatin1String("cuda:"))) {
        bool ok = false;
        const int index = name.mid(5).toInt(&ok);
        return ok && index >= 0 ? availableDeviceMemoryBytes(index) : -1;
    }
    return -1;
}

qint64 MemoryRequest::totalBytes() const
{
    qint64 total = 0;
    for (const Part &part : parts) {
        total += part.bytes;
    }
    return total;
}

Status checkMemoryBudget(const MemoryRequest &request, qint64 available)
{
    const qint64 needed = request.totalBytes();
    if (available < 0 || needed <= available) {
        return Status::ok();
    }
    QStringList parts;
    for (const MemoryRequest::Part &part : request.parts) {
        if (part.bytes > 0) {
            parts << QStringLiteral("%1 %2").arg(part.label, formatBytes(part.bytes));
        }
    }
    QString message = QStringLiteral("%1 needs %2 (%3) but %4 are available")
                              .arg(request.what, formatBytes(needed),
                                   parts.join(QStringLiteral(", ")), formatBytes(available));
    if (!request.waysOut.isEmpty()) {
        message += QStringLiteral("; ways out: ") + request.waysOut.join(QStringLiteral("; "));
    }
    return Status::error(Status::Code::OutOfMemory, message);
}

Status checkMemoryBudget(const MemoryRequest &request)
{
    return checkMemoryBudget(request, availableMemoryBytes());
}

}  // namespace gyrus
