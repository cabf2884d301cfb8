#include "app/demo_assets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace gyrus::app {

namespace {

// `relative` under the installed data directory, then under the source tree.
QString findBundled(const QString &installed, const QString &source, const QString &marker)
{
    const QString appDir = QCoreApplication::applicationDirPath();
    for (const QString &candidate : {QDir(appDir).filePath(installed), source}) {
        if (QFileInfo::exists(QDir(candidate).filePath(marker))) {
            return QDir::cleanPath(candidate);
        }
    }
    return QString();
}

}  // namespace

QString bundledPromptSets()
{
    return findBundled(QStringLiteral("../share/gyrus/prompt-sets"),
                       QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets"),
                       QStringLiteral("."));
}

QString bundledDemoModel()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_DEMO_MODEL");
    if (!fromEnvironment.isEmpty()) {
        return fromEnvironment;
    }
    return findBundled(QStringLiteral("../share/gyrus/demo/model"),
                       QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model"),
                       QStringLiteral("config.json"));
}

QString bundledDemoSae()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_DEMO_SAE");
    if (!fromEnvironment.isEmpty()) {
        return fromEnvironment;
    }
    return findBundled(QStringLiteral("../share/gyrus/demo/sae"),
                       QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/sae"),
                       QStringLiteral("cfg.json"));
}

QString bundledHeldoutText()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_HELDOUT_TEXT");
    if (!fromEnvironment.isEmpty()) {
        return fromEnvironment;
    }
    const QString directory = findBundled(QStringLiteral("../share/gyrus/corpus"),
                                          QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus"),
                                          QStringLiteral("heldout.txt"));
    return directory.isEmpty() ? QString()
                               : QDir(directory).filePath(QStringLiteral("heldout.txt"));
}

}  // namespace gyrus::app
