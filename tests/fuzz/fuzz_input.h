#pragma once
// What every libFuzzer harness here shares: the input written to a file under a temporary
// directory, for parsers that read files (memory mapping, HDF5, QFile).

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>

namespace gyrus::fuzz {

/// The bytes as a QByteArray (a deep copy: parsers may keep views of it).
inline QByteArray inputBytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
}

/// One directory for the whole run; files are overwritten by each input.
inline QTemporaryDir &scratchDir()
{
    static QTemporaryDir dir;
    return dir;
}

/// Writes `bytes` to `name` in the scratch directory and returns its path (empty on failure).
inline QString writeInputFile(const QString &name, const QByteArray &bytes)
{
    const QString path = scratchDir().filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    file.write(bytes);
    return path;
}

/// The directory named by GYRUS_FUZZ_SEED_DIR, or empty. scripts/fuzz sets it on the first run of
/// a harness whose seeds are made by Gyrus's own writers (clamp sets, RDM CSV, workspaces, corpus
/// scans: the repository holds no such files); the harness's LLVMFuzzerInitialize writes them
/// there before libFuzzer reads the corpus.
inline QString seedDirectory()
{
    return qEnvironmentVariable("GYRUS_FUZZ_SEED_DIR");
}

}  // namespace gyrus::fuzz
