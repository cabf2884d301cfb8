#include "core/base/status.h"

namespace gyrus {

QString Status::codeName() const
{
    switch (m_code) {
        case Code::Ok:
            return QStringLiteral("ok");
        case Code::InvalidInput:
            return QStringLiteral("invalid-input");
        case Code::NotFound:
            return QStringLiteral("not-found");
        case Code::Cancelled:
            return QStringLiteral("cancelled");
        case Code::OutOfMemory:
            return QStringLiteral("out-of-memory");
        case Code::Internal:
            return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

Status Status::withContext(const QString &context) const
{
    if (isOk()) {
        return *this;
    }
    return Status(m_code, context + QStringLiteral(": ") + m_message);
}

}  // namespace gyrus
