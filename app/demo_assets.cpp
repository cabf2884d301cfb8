#include "app/demo_assets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace gyrus::app {

QString bundledDemoModel()
{
    const QString fromEnvironment = qEnvironmentVariable("GYRUS_DEMO_MODEL");
    if (!fromEnvironment.isEmpty()) {
        return fromEnvironment;
    }
    const QString appDir = QCoreApplication::applicationDirPath();
    const QStringList candidates = {
            QDir(appDir).filePath(QStringLiteral("../share/gyrus/demo/model")),
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model"),
    };
    for (const QString &candidate : candidates) {
        if (QFileInfo::exists(QDir(candidate).filePath(QStringLiteral("config.json")))) {
            return QDir::cleanPath(candidate);
        }
    }
    return QString();
}

}  // namespace gyrus::app
