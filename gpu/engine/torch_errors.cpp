#include "gpu/engine/torch_errors.h"

#include "gpu/model/status_error.h"

#include <c10/util/Exception.h>

#include <new>

namespace gyrus::gpu {

namespace {

const QString kOutOfMemoryAdvice = QStringLiteral(
        "out of memory: try a smaller batch or context length, fewer SAE features, bfloat16, or "
        "the CPU; then run the request again");

bool looksLikeOutOfMemory(const QString &message)
{
    return message.contains(QLatin1String("out of memory"), Qt::CaseInsensitive) ||
           message.contains(QLatin1String("can't allocate memory"), Qt::CaseInsensitive) ||
           message.contains(QLatin1String("not enough memory"), Qt::CaseInsensitive);
}

// torch messages carry a multi-line C++ backtrace after the first line; users need the first.
QString firstLine(const char *what)
{
    const QString text = QString::fromUtf8(what);
    return text.section(QLatin1Char('\n'), 0, 0).trimmed();
}

}  // namespace

Status statusFromException(std::exception_ptr error, const QString &what)
{
    const QString lead = what.isEmpty() ? QString() : what + QStringLiteral(": ");
    try {
        std::rethrow_exception(error);
    } catch (const detail::StatusError &e) {
        return e.status();
    } catch (const std::bad_alloc &) {
        return Status::error(Status::Code::OutOfMemory, lead + kOutOfMemoryAdvice);
    } catch (const c10::Error &e) {
        const QString message = firstLine(e.what_without_backtrace());
        if (looksLikeOutOfMemory(message)) {
            return Status::error(Status::Code::OutOfMemory, lead + kOutOfMemoryAdvice +
                                                                    QStringLiteral(" (") + message +
                                                                    QStringLiteral(")"));
        }
        return Status::internal(lead + QStringLiteral("torch: ") + message);
    } catch (const std::exception &e) {
        const QString message = firstLine(e.what());
        if (looksLikeOutOfMemory(message)) {
            return Status::error(Status::Code::OutOfMemory, lead + kOutOfMemoryAdvice);
        }
        return Status::internal(lead + message);
    } catch (...) {
        return Status::internal(lead + QStringLiteral("unknown exception"));
    }
}

}  // namespace gyrus::gpu
