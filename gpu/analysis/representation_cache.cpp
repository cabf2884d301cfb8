#include "gpu/analysis/representation_cache.h"

#include "core/base/version.h"
#include "core/prompts/prompt_set_io.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace gyrus::gpu {

namespace {

constexpr quint32 kMagic = 0x47525031;  // "GRP1"

// Files that identify a model or SAE directory: small ones by content, weights by size and time.
void addDirectory(QCryptographicHash &hash, const QString &directory)
{
    const QDir dir(directory);
    hash.addData(dir.absolutePath().toUtf8());
    const QFileInfoList files = dir.entryInfoList(QDir::Files, QDir::Name);
    for (const QFileInfo &file : files) {
        hash.addData(file.fileName().toUtf8());
        if (file.suffix() == QLatin1String("json")) {
            QFile content(file.absoluteFilePath());
            if (content.open(QIODevice::ReadOnly)) {
                hash.addData(content.readAll());
            }
        } else {
            hash.addData(QByteArray(QByteArray::number(file.size()) + '@' +
                                    QByteArray::number(file.lastModified().toMSecsSinceEpoch())));
        }
    }
}

}  // namespace

Result<PromptRepresentations> cachedPromptRepresentations(const LanguageModel &model,
                                                          const PromptSet &set,
                                                          const RepresentationOptions &options,
                                                          const CacheKeyInputs &keyInputs,
                                                          const QString &cacheDirectory, bool *hit)
{
    // The key cannot describe arbitrary hooks, and the file holds no aligned windows (nor the
    // legacy left-first rows): an intervened or windowed run is always computed.
    if (options.interventions || options.pooling == Pooling::Window ||
        options.pooling == Pooling::LegacyLeftFirst) {
        if (hit) {
            *hit = false;
        }
        return promptRepresentations(model, set, options);
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(versionString().toUtf8());
    hash.addData(keyInputs.buildIdentity.toUtf8());
    addDirectory(hash, keyInputs.modelDirectory);
    if (!keyInputs.saeDirectory.isEmpty()) {
        addDirectory(hash, keyInputs.saeDirectory);
    }
    hash.addData(QByteArray(options.hookName.toUtf8() + '|' + nameOf(options.pooling).toUtf8() +
                            '|' + QByteArray::number(options.window) + '|' +
                            QByteArray::number(options.sae ? 1 : 0)));
    hash.addData(promptSetToJson(set));
    const QString path =
            QDir(cacheDirectory)
                    .filePath(QString::fromLatin1(hash.result().toHex()) + QStringLiteral(".rep"));

    if (hit) {
        *hit = false;
    }
    QFile cached(path);
    if (cached.open(QIODevice::ReadOnly)) {
        QDataStream in(&cached);
        quint32 magic = 0;
        PromptRepresentations result;
        qint64 rows = 0;
        qint64 cols = 0;
        in >> magic >> rows >> cols >> result.items >> result.notes;
        if (magic == kMagic && in.status() == QDataStream::Ok && rows == result.items.size() &&
            cols >= 0 && rows * cols < (qint64(1) << 32)) {
            result.values.rows = rows;
            result.values.cols = cols;
            result.values.values.resize(size_t(rows * cols));
            const qint64 bytes = rows * cols * qint64(sizeof(float));
            if (in.readRawData(reinterpret_cast<char *>(result.values.values.data()), int(bytes)) ==
                bytes) {
                if (hit) {
                    *hit = true;
                }
                return result;
            }
        }
    }
    Result<PromptRepresentations> result = promptRepresentations(model, set, options);
    if (!result) {
        return result;
    }
    if (QDir().mkpath(cacheDirectory)) {
        QSaveFile file(path);
        if (file.open(QIODevice::WriteOnly)) {
            QDataStream out(&file);
            out << kMagic << qint64(result->values.rows) << qint64(result->values.cols)
                << result->items << result->notes;
            out.writeRawData(reinterpret_cast<const char *>(result->values.values.data()),
                             int(result->values.values.size() * sizeof(float)));
            file.commit();
        }
    }
    return result;
}

}  // namespace gyrus::gpu
