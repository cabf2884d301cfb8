#include "gpu/model/mapped_file_guard.h"

#include "gpu/model/safetensors.h"

#include <QFileInfo>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

#include <sys/mman.h>
#include <unistd.h>

namespace gyrus::gpu {

namespace {

// A fixed table read by the signal handler: no allocation and no locks there, only atomics.
// Far more slots than files a session maps (a sharded checkpoint holds a few dozen).
constexpr int kSlots = 1024;

struct Slot
{
    std::atomic<std::uintptr_t> begin{0};
    std::atomic<std::uintptr_t> end{0};
    std::atomic<bool> faulted{false};
};

Slot g_slots[kSlots];
struct sigaction g_previous = {};
std::once_flag g_installed;
std::mutex g_registering;  // serialises guard/unguard; never taken by the handler

// What the handler does not need: each guarded mapping's file and size, by base address.
struct Mapped
{
    QString path;
    std::size_t size = 0;
    Slot *slot = nullptr;
};

std::map<std::uintptr_t, Mapped> g_mapped;  // guarded by g_registering

void onSigbus(int signal, siginfo_t *info, void *context)
{
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    for (Slot &slot : g_slots) {
        const std::uintptr_t begin = slot.begin.load(std::memory_order_acquire);
        const std::uintptr_t end = slot.end.load(std::memory_order_acquire);
        if (begin == 0 || address < begin || address >= end) {
            continue;
        }
        // The file no longer backs this page: put zero pages over the rest of the mapping, so
        // the faulting read (and every later one) completes, and remember it.
        const auto page = std::uintptr_t(sysconf(_SC_PAGESIZE));
        const std::uintptr_t from = address & ~(page - 1);
        const std::uintptr_t to = (end + page - 1) & ~(page - 1);
        void *mapped = mmap(reinterpret_cast<void *>(from), to - from, PROT_READ | PROT_WRITE,
                            MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped != MAP_FAILED) {
            slot.faulted.store(true, std::memory_order_release);
            return;
        }
        break;
    }
    // Not ours (or the zero page could not be mapped): what would have happened without us.
    if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
        g_previous.sa_sigaction(signal, info, context);
        return;
    }
    if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
        g_previous.sa_handler != nullptr) {
        g_previous.sa_handler(signal);
        return;
    }
    // Restoring the default action makes the faulting instruction fault again and stop the
    // process with SIGBUS, as it would have.
    sigaction(SIGBUS, &g_previous, nullptr);
}

void installHandler()
{
    struct sigaction action = {};
    action.sa_sigaction = onSigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

void guardMapping(const void *base, std::size_t size, const QString &path)
{
    if (base == nullptr || size == 0) {
        return;
    }
    std::call_once(g_installed, installHandler);
    const std::lock_guard<std::mutex> lock(g_registering);
    const auto begin = reinterpret_cast<std::uintptr_t>(base);
    for (Slot &slot : g_slots) {
        if (slot.begin.load(std::memory_order_relaxed) == 0) {
            slot.faulted.store(false, std::memory_order_relaxed);
            slot.end.store(begin + size, std::memory_order_release);
            slot.begin.store(begin, std::memory_order_release);
            g_mapped[begin] = Mapped{path, size, &slot};
            return;
        }
    }
    // Table full: this mapping stays unguarded (a truncation would stop the process, as before).
}

void unguardMapping(const void *base)
{
    const std::lock_guard<std::mutex> lock(g_registering);
    const auto found = g_mapped.find(reinterpret_cast<std::uintptr_t>(base));
    if (found == g_mapped.end()) {
        return;
    }
    found->second.slot->begin.store(0, std::memory_order_release);
    found->second.slot->end.store(0, std::memory_order_release);
    g_mapped.erase(found);
}

Status checkMappingsUnchanged(const SafetensorsArchive &archive)
{
    // The archive's mappings are the guarded ranges its tensors' bytes lie in.
    std::set<std::uintptr_t> bases;
    {
        const std::lock_guard<std::mutex> lock(g_registering);
        for (const QString &name : archive.tensorNames()) {
            const std::optional<TensorInfo> info = archive.info(name);
            if (!info || info->bytes == 0) {
                continue;
            }
            const auto address = reinterpret_cast<std::uintptr_t>(info->data);
            auto after = g_mapped.upper_bound(address);
            if (after == g_mapped.begin()) {
                continue;
            }
            const auto &[begin, mapped] = *std::prev(after);
            if (address < begin + mapped.size) {
                bases.insert(begin);
            }
        }
    }
    for (const std::uintptr_t base : bases) {
        Mapped mapped;
        bool faulted = false;
        {
            const std::lock_guard<std::mutex> lock(g_registering);
            mapped = g_mapped.at(base);
            faulted = mapped.slot->faulted.load(std::memory_order_acquire);
        }
        const QFileInfo now(mapped.path);
        const qint64 size = now.exists() ? now.size() : -1;
        if (faulted || size < qint64(mapped.size)) {
            return Status::invalidInput(
                    QStringLiteral("%1: changed on disk while open: %2 bytes when opened, %3 now; "
                                   "what was read from it is invalid, load it again")
                            .arg(mapped.path)
                            .arg(mapped.size)
                            .arg(size < 0 ? QStringLiteral("no file") : QString::number(size)));
        }
    }
    return Status::ok();
}

}  // namespace gyrus::gpu
