#include "app/demo_assets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace gyrus::app {

namespace {

struct DemoPart
{
    QString description;
    QString installed;  ///< under installedDataDirectory()
    QString source;     ///< under the source tree
    QStringList requiredFiles;
};

const DemoPart kModel{QStringLiteral("the demo model"),
                      QStringLiteral("demo/model"),
                      QStringLiteral("datasets/demo/model"),
                      {QStringLiteral("config.json"), QStringLiteral("model.safetensors"),
                       QStringLiteral("tokenizer.json"), QStringLiteral("tokenizer_config.json")}};
const DemoPart kSae{QStringLiteral("the demo SAE"),
                    QStringLiteral("demo/sae"),
                    QStringLiteral("datasets/demo/sae"),
                    {QStringLiteral("cfg.json"), QStringLiteral("sae_weights.safetensors")}};
const DemoPart kCorpus{QStringLiteral("the held-out corpus"),
                       QStringLiteral("corpus"),
                       QStringLiteral("datasets/corpus"),
                       {QStringLiteral("heldout.txt")}};
const DemoPart kPromptSets{QStringLiteral("the prompt sets"),
                           QStringLiteral("prompt-sets"),
                           QStringLiteral("datasets/prompt-sets"),
                           {}};

// A program inside the build tree it was compiled in (tests, scripts/run) may use the source
// tree's datasets; an installed copy uses only its own data, so a partial install shows as one.
bool runsFromBuildTree()
{
    const QString buildTree = QDir(QStringLiteral(GYRUS_BUILD_DIR)).canonicalPath();
    const QString appDir = QDir(QCoreApplication::applicationDirPath()).canonicalPath();
    return !buildTree.isEmpty() &&
           QString(appDir + QLatin1Char('/')).startsWith(buildTree + QLatin1Char('/'));
}

QStringList candidates(const DemoPart &part)
{
    QStringList dirs{QDir(installedDataDirectory()).filePath(part.installed)};
    if (runsFromBuildTree()) {
        dirs << QStringLiteral(GYRUS_SOURCE_DIR "/") + part.source;
    }
    return dirs;
}

QStringList missingFiles(const QString &dir, const QStringList &required)
{
    QStringList missing;
    for (const QString &file : required) {
        if (!QFileInfo(QDir(dir).filePath(file)).isFile()) {
            missing << file;
        }
    }
    return missing;
}

// The first candidate folder that has every required file.
QString find(const DemoPart &part)
{
    for (const QString &dir : candidates(part)) {
        if (QFileInfo(dir).isDir() && missingFiles(dir, part.requiredFiles).isEmpty()) {
            return QDir::cleanPath(dir);
        }
    }
    return QString();
}

QString fromEnvironmentOr(const char *variable, const DemoPart &part)
{
    const QString fromEnvironment = qEnvironmentVariable(variable);
    return fromEnvironment.isEmpty() ? find(part) : fromEnvironment;
}

// "the demo SAE: no sae_weights.safetensors in DIR" for the installed location.
QString whatIsMissing(const DemoPart &part)
{
    const QString dir = QDir::cleanPath(candidates(part).constFirst());
    if (!QFileInfo(dir).isDir()) {
        return QStringLiteral("%1: no folder %2").arg(part.description, dir);
    }
    return QStringLiteral("%1: no %2 in %3")
            .arg(part.description, missingFiles(dir, part.requiredFiles).join(QStringLiteral(", ")),
                 dir);
}

}  // namespace

QString installedDataDirectory()
{
    return QDir::cleanPath(QCoreApplication::applicationDirPath() +
                           QStringLiteral("/../share/gyrus"));
}

QString bundledPromptSets()
{
    return find(kPromptSets);
}

QString bundledDemoModel()
{
    return fromEnvironmentOr("GYRUS_DEMO_MODEL", kModel);
}

QString bundledDemoSae()
{
    return fromEnvironmentOr("GYRUS_DEMO_SAE", kSae);
}

QString bundledHeldoutText()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_HELDOUT_TEXT");
    if (!fromEnvironment.isEmpty()) {
        return fromEnvironment;
    }
    const QString directory = find(kCorpus);
    return directory.isEmpty() ? QString()
                               : QDir(directory).filePath(QStringLiteral("heldout.txt"));
}

QString bundledTrainingText()
{
    const QString heldout = bundledHeldoutText();
    if (heldout.isEmpty()) {
        return QString();
    }
    const QString training = QFileInfo(heldout).dir().filePath(QStringLiteral("train.txt"));
    return QFileInfo::exists(training) ? training : heldout;
}

QStringList missingDemoAssets()
{
    QStringList missing;
    if (qEnvironmentVariableIsEmpty("GYRUS_DEMO_MODEL") && find(kModel).isEmpty()) {
        missing << whatIsMissing(kModel);
    }
    if (qEnvironmentVariableIsEmpty("GYRUS_DEMO_SAE") && find(kSae).isEmpty()) {
        missing << whatIsMissing(kSae);
    }
    if (qEnvironmentVariableIsEmpty("GYRUS_HELDOUT_TEXT") && find(kCorpus).isEmpty()) {
        missing << whatIsMissing(kCorpus);
    }
    if (find(kPromptSets).isEmpty()) {
        missing << whatIsMissing(kPromptSets);
    }
    return missing;
}

}  // namespace gyrus::app
