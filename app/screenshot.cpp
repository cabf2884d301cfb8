#include "app/screenshot.h"

#include "core/engine_client.h"

#include <QCoreApplication>
#include <QPixmap>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <cstdio>
#include <memory>

namespace gyrus::app {

void scheduleScreenshotAndQuit(QWidget *window, const QString &path, int delayMs)
{
    QPointer<QWidget> guard(window);
    // The delay lets queued layout and the first paint happen; grab() then renders the widget
    // tree itself, which needs no window manager or compositor.
    QTimer::singleShot(delayMs, window, [guard, path] {
        if (!guard) {
            return;
        }
        const QPixmap pixmap = guard->grab();
        if (pixmap.isNull() || !pixmap.save(path)) {
            std::fprintf(stderr, "gyrus: cannot write screenshot to %s\n", qPrintable(path));
            QCoreApplication::exit(1);
            return;
        }
        std::fprintf(stdout, "gyrus: screenshot written to %s (%dx%d)\n", qPrintable(path),
                     pixmap.width(), pixmap.height());
        QCoreApplication::exit(0);
    });
}

void scheduleScreenshotWhenIdle(QWidget *window, EngineClient *engine, const QString &path)
{
    auto shot = std::make_shared<bool>(false);
    auto shootOnce = [window, path, shot] {
        if (!*shot) {
            *shot = true;
            scheduleScreenshotAndQuit(window, path);
        }
    };
    QObject::connect(engine, &EngineClient::idle, window, shootOnce);
    QTimer::singleShot(120000, window, shootOnce);  // never hang on a stuck job
}

}  // namespace gyrus::app
