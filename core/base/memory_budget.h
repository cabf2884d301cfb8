#pragma once
// The memory a request may use, checked before the work starts: Gyrus refuses with the sizes and
// the ways out instead of being killed by the kernel's OOM killer halfway through.

#include "core/base/status.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace gyrus {

/// "16.1 GB", "512 MB", "3 KB": decimal units, as file managers and `ls -h --si` show them.
QString formatBytes(qint64 bytes);

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM", "RssFile": its lines read
/// "Key:   123 kB"); -1 when the file or the field cannot be read.
qint64 processStatusBytes(const QByteArray &field);

/// Resets this process's peak resident size (VmHWM) to its current size (Linux >= 4.0), so that
/// processStatusBytes("VmHWM") measures the peak of what follows. Does nothing where not allowed.
void resetPeakResidentBytes();

/// Bytes this process may still allocate: MemAvailable of /proc/meminfo, lowered to the cgroup's
/// remaining memory.max when one is set. GYRUS_MEMORY_AVAILABLE (bytes, or with a K/M/G/T suffix)
/// overrides it, for tests and for users who share the machine and want a lower ceiling.
/// Returns -1 when nothing can be read (then no request is refused).
qint64 availableMemoryBytes();

/// Free bytes on CUDA device `index`, for requests whose tensors live there:
/// GYRUS_DEVICE_MEMORY_AVAILABLE (as GYRUS_MEMORY_AVAILABLE) overrides; otherwise cudaMemGetInfo
/// of the CUDA runtime LibTorch loaded, found with dlopen so that a CPU-only build needs no CUDA
/// library. Returns -1 when no CUDA runtime answers (then no request is refused).
qint64 availableDeviceMemoryBytes(int index);

/// The budget of a request whose tensors live on `device` ("cpu", "cuda", "cuda:1"):
/// availableMemoryBytes() on the CPU, availableDeviceMemoryBytes() on CUDA, -1 elsewhere.
qint64 availableMemoryBytesOn(const QString &device);

/// What one request needs, part by part, and what the user can change to need less.
struct MemoryRequest
{
    QString what;  ///< "forward to layer 12 of /models/llama (64 tokens)"

    struct Part
    {
        QString label;  ///< "weights of layers 0..12 in fp32"
        qint64 bytes = 0;
    };

    QList<Part> parts;
    QStringList waysOut;  ///< "--dtype bf16 (needs 5.9 GB)", "fewer tokens", ...

    qint64 totalBytes() const;
};

/// OutOfMemory with "<what> needs 11.3 GB (weights ... 11.1 GB, activations 0.2 GB) but 7.9 GB
/// are available; ways out: ..." when the request exceeds `available`; Ok otherwise, and when
/// `available` < 0 (unknown).
Status checkMemoryBudget(const MemoryRequest &request, qint64 available);

/// The same against availableMemoryBytes().
Status checkMemoryBudget(const MemoryRequest &request);

}  // namespace gyrus
