// Finds and loads the gyrus_sentencepiece module (gpu/model/sentencepiece_api.h explains why
// sentencepiece lives in a module of its own).

#include "core/base/address_sanitizer.h"
#include "gpu/model/sentencepiece_api.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>
#include <QStringList>

#include <mutex>

#include <dlfcn.h>

#ifndef GYRUS_SENTENCEPIECE_MODULE_PATH
#define GYRUS_SENTENCEPIECE_MODULE_PATH ""
#endif
#ifndef GYRUS_BUILD_TREE
#define GYRUS_BUILD_TREE ""
#endif

namespace gyrus::gpu::detail {

namespace {

const char *const kModuleFileName = "libgyrus_sentencepiece.so";

QStringList candidatePaths()
{
    QStringList paths;
    const QByteArray fromEnvironment = qgetenv("GYRUS_SENTENCEPIECE_MODULE");
    if (!fromEnvironment.isEmpty()) {
        paths << QString::fromLocal8Bit(fromEnvironment);
    }
    const QString executable = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    if (!executable.isEmpty()) {
        const QDir dir = QFileInfo(executable).absoluteDir();
        paths << dir.filePath(QString::fromLatin1(kModuleFileName))
              << QDir::cleanPath(dir.filePath(QStringLiteral("../lib/gyrus/")) + QLatin1Char('/') +
                                 QString::fromLatin1(kModuleFileName));
    }
    // The build tree's module only for programs that run from that build tree: an installed
    // copy must use its own module (or say it has none), never one left in a build folder.
    const QString buildTree = QString::fromUtf8(GYRUS_BUILD_TREE);
    const QString buildTreeModule = QString::fromUtf8(GYRUS_SENTENCEPIECE_MODULE_PATH);
    if (!buildTreeModule.isEmpty() && !buildTree.isEmpty() &&
        executable.startsWith(QDir(buildTree).canonicalPath() + QLatin1Char('/'))) {
        paths << buildTreeModule;
    }
    return paths;
}

const SentencepieceApi *loadModule(std::string *error)
{
#if GYRUS_ADDRESS_SANITIZER
    *error = "the tokenizer is unavailable in AddressSanitizer builds: its sentencepiece module "
             "must be loaded with RTLD_DEEPBIND, which ASan does not support";
    return nullptr;
#else
#ifdef RTLD_DEEPBIND
    const int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#else
    const int flags = RTLD_NOW | RTLD_LOCAL;  // two-level namespaces elsewhere: no clash
#endif
    // Already in the global namespace (an executable linked it): its protobuf references are
    // bound to libtorch's libprotobuf, and loading the module would reuse that broken copy.
    if (dlopen("libsentencepiece.so.0", RTLD_NOW | RTLD_NOLOAD) != nullptr) {
        *error = "libsentencepiece is linked into this program; it must only be loaded through "
                 "the gyrus_sentencepiece module (never link sentencepiece into an executable "
                 "that links torch)";
        return nullptr;
    }
    QStringList tried;
    for (const QString &path : candidatePaths()) {
        if (!QFileInfo::exists(path)) {
            tried << path;
            continue;
        }
        void *handle = dlopen(QFile::encodeName(path).constData(), flags);
        if (handle == nullptr) {
            *error = "cannot load " + path.toStdString() + ": " + dlerror();
            return nullptr;
        }
        using Entry = const SentencepieceApi *(*)();
        const auto entry = reinterpret_cast<Entry>(dlsym(handle, kSentencepieceApiSymbol));
        const SentencepieceApi *api = entry != nullptr ? entry() : nullptr;
        if (api == nullptr || api->version != kSentencepieceApiVersion) {
            *error = path.toStdString() +
                     " is not a compatible gyrus_sentencepiece module "
                     "(rebuild it with this version of Gyrus)";
            return nullptr;
        }
        return api;
    }
    *error = std::string(kModuleFileName) +
             " (the sentencepiece tokenizer module) not found; looked in: " +
             tried.join(QStringLiteral(", ")).toStdString() +
             ". Set GYRUS_SENTENCEPIECE_MODULE to its path";
    return nullptr;
#endif
}

}  // namespace

const SentencepieceApi *sentencepieceApi(std::string *error)
{
    // Loaded once: the outcome (module or reason) is the same for the life of the process.
    static std::once_flag once;
    static const SentencepieceApi *api = nullptr;
    static std::string failure;
    std::call_once(once, [] { api = loadModule(&failure); });
    if (api == nullptr && error != nullptr) {
        *error = failure;
    }
    return api;
}

}  // namespace gyrus::gpu::detail
