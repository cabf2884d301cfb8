#pragma once
// Writing through QFile / QSaveFile with the system's reason when it fails. Qt sets no error of
// its own when a write is cut short (a full disk, a file-size limit: the first write() stores
// what fits, the next fails with ENOSPC or EFBIG), and errorString() then says "Unknown error";
// these keep the system's words instead ("No space left on device", "File too large").

#include <QByteArrayView>
#include <QFileDevice>
#include <QString>

namespace gyrus {

/// Writes all of `bytes` to `file` (best opened QIODevice::Unbuffered, so that the write that
/// fails is this one). Empty on success, else why it failed.
QString writeFully(QFileDevice &file, QByteArrayView bytes);

/// Why `file` failed after an operation on it returned an error, given errno right after it.
QString writeFailure(const QFileDevice &file, int errnoAfterFailure);

}  // namespace gyrus
