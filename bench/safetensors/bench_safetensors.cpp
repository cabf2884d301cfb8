// bench_safetensors: opening a memory-mapped safetensors file and touching every tensor, next to
// the peer a non-mapping reader is (QFile::readAll of the same file), in one run. Prints JSON.
//
// Usage: bench_safetensors [--mb N] [--dir DIR]   (default 100 MB in a temporary directory)
// It writes the file, then measures in a child process (`--measure FILE`) so that resident and
// peak memory count only the reading. The file is evicted from the page cache (posix_fadvise
// DONTNEED) before each cold phase, so "open" shows what opening reads (only the header) and
// "touch" what paging the tensors costs.

#include "gpu/model/safetensors.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace gyrus::gpu;

namespace {

double residentMb()
{
    // /proc/self/statm: size resident shared ... (pages)
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.value(1).toDouble() * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peakMb()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

bool evict(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd < 0) {
        return false;
    }
    ::fdatasync(fd);
    const bool ok = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
}

int measure(const QString &path)
{
    const double fileMb = double(QFile(path).size()) / (1024.0 * 1024.0);
    const bool evicted = evict(path);

    const double rssStart = residentMb();
    QElapsedTimer timer;
    timer.start();
    gyrus::Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
    const double openMs = double(timer.nsecsElapsed()) / 1e6;
    if (!archive) {
        std::fprintf(stderr, "bench_safetensors: %s\n", qPrintable(archive.status().message()));
        return 1;
    }
    const double rssAfterOpen = residentMb();

    // Touch every tensor: read all of its bytes once (what converting or copying it does).
    timer.restart();
    quint64 checksum = 0;
    for (const QString &name : archive->tensorNames()) {
        const std::optional<TensorInfo> info = archive->info(name);
        for (qint64 i = 0; i + 8 <= info->bytes; i += 8) {
            quint64 word = 0;
            std::memcpy(&word, info->data + i, 8);
            checksum += word;
        }
    }
    const double touchMs = double(timer.nsecsElapsed()) / 1e6;
    const double rssAfterTouch = residentMb();
    const double peakAfterTouch = peakMb();

    // Peer: read the whole file into memory (what a non-mapping loader does), cold as well.
    evict(path);
    timer.restart();
    QByteArray copy;
    {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly)) {
            copy = file.readAll();
        }
    }
    const double readAllMs = double(timer.nsecsElapsed()) / 1e6;

    QJsonObject json;
    json[QStringLiteral("file_mb")] = fileMb;
    json[QStringLiteral("rss_before_open_mb")] = rssStart;
    json[QStringLiteral("tensors")] = int(archive->tensorNames().size());
    json[QStringLiteral("page_cache_evicted")] = evicted;
    json[QStringLiteral("open_ms")] = openMs;
    json[QStringLiteral("rss_growth_after_open_mb")] = rssAfterOpen - rssStart;
    json[QStringLiteral("touch_all_ms")] = touchMs;
    json[QStringLiteral("rss_growth_after_touch_mb")] = rssAfterTouch - rssStart;
    json[QStringLiteral("peak_rss_mb")] = peakAfterTouch;
    json[QStringLiteral("peak_rss_with_peer_mb")] = peakMb();
    json[QStringLiteral("peer_readall_ms")] = readAllMs;
    json[QStringLiteral("peer_readall_bytes_mb")] = double(copy.size()) / (1024.0 * 1024.0);
    json[QStringLiteral("open_plus_touch_over_readall")] = (openMs + touchMs) / readAllMs;
    json[QStringLiteral("checksum")] = QString::number(checksum, 16);
    std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.value(1) == QLatin1String("--measure")) {
        return measure(args.value(2));
    }
    const int mb = args.contains(QStringLiteral("--mb"))
                           ? args.value(args.indexOf(QStringLiteral("--mb")) + 1).toInt()
                           : 100;
    QTemporaryDir temporary;
    const QString dir = args.contains(QStringLiteral("--dir"))
                                ? args.value(args.indexOf(QStringLiteral("--dir")) + 1)
                                : temporary.path();
    const QString path = dir + QStringLiteral("/bench.safetensors");

    // A Llama-like mix: 4 MB fp32 matrices (1024 x 1024), fp16 and bf16 ones, and norms. The
    // bytes are a fixed pseudo-random pattern: reading cost does not depend on the values.
    {
        const int matrices = std::max(1, mb / 4);
        QByteArray matrix(4 * 1024 * 1024, Qt::Uninitialized);
        quint64 state = 0x9E3779B97F4A7C15ull;
        for (qsizetype i = 0; i + 8 <= matrix.size(); i += 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            std::memcpy(matrix.data() + i, &state, 8);
        }
        const QByteArray norm(1024 * 4, '\0');
        QList<TensorToWrite> tensors;
        const DType kinds[] = {DType::F32, DType::F16, DType::BF16, DType::F32};
        for (int i = 0; i < matrices; ++i) {
            const DType dtype = kinds[i % 4];
            const qint64 columns = dtype == DType::F32 ? 1024 : 2048;
            tensors << TensorToWrite{QStringLiteral("model.layers.%1.weight").arg(i),
                                     dtype,
                                     {1024, columns},
                                     matrix};
            tensors << TensorToWrite{
                    QStringLiteral("model.layers.%1.norm").arg(i), DType::F32, {1024}, norm};
        }
        const gyrus::Status written = writeSafetensors(path, tensors);
        if (!written.isOk()) {
            std::fprintf(stderr, "bench_safetensors: %s\n", qPrintable(written.message()));
            return 1;
        }
    }
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(app.applicationFilePath(), {QStringLiteral("--measure"), path});
    child.waitForFinished(-1);
    std::fputs(child.readAllStandardOutput().constData(), stdout);
    return child.exitCode();
}
