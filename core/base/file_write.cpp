#include "core/base/file_write.h"

#include <cerrno>
#include <cstring>

namespace gyrus {

QString writeFully(QFileDevice &file, QByteArrayView bytes)
{
    errno = 0;
    if (bytes.isEmpty() || file.write(bytes.data(), bytes.size()) == bytes.size()) {
        return {};
    }
    return writeFailure(file, errno);
}

QString writeFailure(const QFileDevice &file, int errnoAfterFailure)
{
    if (file.error() != QFileDevice::NoError || errnoAfterFailure == 0) {
        return file.errorString();
    }
    return QString::fromLocal8Bit(std::strerror(errnoAfterFailure));
}

}  // namespace gyrus
