#pragma once
// A full disk without root or a mount: the file-size limit (RLIMIT_FSIZE, what `ulimit -f` sets)
// makes every write past it fail with EFBIG ("File too large"), as a full disk makes it fail with
// ENOSPC. SIGXFSZ, which the kernel sends as well, is ignored so that the write fails instead of
// the signal stopping the process.

#include <csignal>

#include <sys/resource.h>

namespace gyrus::test {

/// Files of this process may not grow past `bytes` while it lives.
class FileSizeLimit
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        getrlimit(RLIMIT_FSIZE, &m_old);
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = m_old;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }

    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_oldHandler);
    }

    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;

    /// The same limit for a child process, from QProcess::setChildProcessModifier() (between
    /// fork and exec: only async-signal-safe calls). An ignored signal stays ignored across exec.
    static void applyInChild(rlim_t bytes)
    {
        rlimit limit{};
        getrlimit(RLIMIT_FSIZE, &limit);
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
        std::signal(SIGXFSZ, SIG_IGN);
    }

private:
    rlimit m_old{};
    void (*m_oldHandler)(int) = nullptr;
};

}  // namespace gyrus::test
