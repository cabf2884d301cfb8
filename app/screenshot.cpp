#include "app/screenshot.h"

#include "core/engine/engine_client.h"

#include <QCoreApplication>
#include <QDialog>
#include <QPainter>
#include <QPixmap>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <cstdio>
#include <memory>

namespace gyrus::app {

namespace {

// grab() renders one widget tree; a dialog open over the window (the About box) is a window of
// its own, so it is painted in at its place, with a frame where a window manager would draw one.
QPixmap withDialogsOnTop(QWidget *window, QPixmap picture)
{
    QPainter painter(&picture);
    for (QDialog *dialog : window->findChildren<QDialog *>(QString(), Qt::FindDirectChildrenOnly)) {
        if (!dialog->isVisible()) {
            continue;
        }
        const QPoint at = dialog->mapToGlobal(QPoint(0, 0)) - window->mapToGlobal(QPoint(0, 0));
        const QPixmap shot = dialog->grab();
        painter.drawPixmap(at, shot);
        painter.setPen(QPen(QColor(60, 60, 60), 1));
        painter.drawRect(QRect(at, dialog->size()).adjusted(-1, -1, 0, 0));
    }
    return picture;
}

}  // namespace

void scheduleScreenshotAndQuit(QWidget *window, const QString &path, int delayMs)
{
    QPointer<QWidget> guard(window);
    // The delay lets queued layout and the first paint happen; grab() then renders the widget
    // tree itself, which needs no window manager or compositor.
    QTimer::singleShot(delayMs, window, [guard, path] {
        if (!guard) {
            return;
        }
        const QPixmap pixmap = withDialogsOnTop(guard.data(), guard->grab());
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
