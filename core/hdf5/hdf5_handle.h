#pragma once
// Private helpers for code that calls the HDF5 C API (core and gpu .cpp files; not part of any
// public interface, since it includes <hdf5.h>).

#include "core/base/status.h"

#include <QString>

#include <hdf5.h>

namespace gyrus::hdf5 {

/// Closes an HDF5 handle at scope exit; HDF5 has a different close function per handle kind.
class Handle
{
public:
    using Closer = herr_t (*)(hid_t);

    Handle(hid_t id, Closer closer)
        : m_id(id)
        , m_closer(closer)
    {}

    ~Handle()
    {
        if (m_id >= 0) {
            m_closer(m_id);
        }
    }

    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;

    hid_t id() const { return m_id; }

    bool valid() const { return m_id >= 0; }

private:
    hid_t m_id;
    Closer m_closer;
};

/// Call before any other HDF5 function (idempotent). HDF5 prints an error stack on stderr for
/// every failed call; Gyrus reports its own messages (naming the file and dataset) instead. And
/// HDF5's exit handler is turned off (H5dont_atexit, which works only before the library starts):
/// after a write that failed for want of space, HDF5 1.10 keeps a broken file object, and closing
/// it in that handler crashed the process at exit (`gyrus-cli cache` on a full disk did). Gyrus
/// closes every file it opens itself, so there is nothing left for the handler to do.
inline void prepareLibrary()
{
    static const bool prepared = [] {
        H5dont_atexit();
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)prepared;
}

/// Opens an existing file read-only (prepares the library first); fails with NotFound ("<path>: no
/// such file") or InvalidInput ("not an HDF5 file", "cannot open as HDF5"). The caller closes it.
Result<hid_t> openReadOnly(const QString &path);

}  // namespace gyrus::hdf5
