#pragma once
// Private to gyrus_gpu: a Status thrown through torch-level code (Transformer::forward throws
// rather than returns) and turned back into that same Status, code included, at the boundary
// (gpu/engine/torch_errors.h).

#include "core/base/status.h"

#include <stdexcept>

namespace gyrus::gpu::detail {

class StatusError : public std::runtime_error
{
public:
    explicit StatusError(Status status)
        : std::runtime_error(status.message().toStdString())
        , m_status(std::move(status))
    {}

    const Status &status() const { return m_status; }

private:
    Status m_status;
};

}  // namespace gyrus::gpu::detail
