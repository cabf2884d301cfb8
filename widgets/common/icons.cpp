#include "widgets/common/icons.h"

#include <QFile>
#include <QString>

#include <mutex>

// Q_INIT_RESOURCE must be called outside any namespace. The call also makes the linker keep the
// resource initialiser, which lives in the static gyrus_resources library.
static void initialiseGyrusResources()
{
    Q_INIT_RESOURCE(gyrus);
}

namespace gyrus::widgets {

namespace {

void ensureResources()
{
    static std::once_flag once;
    std::call_once(once, initialiseGyrusResources);
}

}  // namespace

QIcon applicationIcon()
{
    ensureResources();
    QIcon icon;
    for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        icon.addFile(QStringLiteral(":/icons/hicolor/%1x%1/gyrus.png").arg(size),
                     QSize(size, size));
    }
    return icon;
}

QIcon uiIcon(const QString &name)
{
    ensureResources();
    const QString path = QStringLiteral(":/icons/ui/%1.svg").arg(name);
    return QFile::exists(path) ? QIcon(path) : QIcon();
}

}  // namespace gyrus::widgets
