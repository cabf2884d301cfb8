#pragma once
// Private helpers for code that calls the HDF5 C API (core and gpu .cpp files; not part of any
// public interface, since it includes <hdf5.h>).

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

/// HDF5 prints an error stack on stderr for every failed call; Gyrus reports its own messages
/// (naming the file and dataset) instead. Idempotent.
inline void silenceErrorStack()
{
    static const bool silenced = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)silenced;
}

}  // namespace gyrus::hdf5
