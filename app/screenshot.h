#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <memory>

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

/// Once `window` has been shown and laid out, renders it to `path` (format from the extension)
/// and quits the application with 0, or with 1 and a message on stderr if it cannot be saved.
/// Works under xvfb-run and QT_QPA_PLATFORM=offscreen (it grabs the widget, not the screen).
void scheduleScreenshotAndQuit(QWidget *window, const QString &path, int delayMs = 400);

/// Like scheduleScreenshotAndQuit, but waits until `engine` reports idle() after the start-up
/// requests already submitted (or 120 s have passed), so the picture shows their result.
void scheduleScreenshotWhenIdle(QWidget *window, EngineClient *engine, const QString &path);

/// scheduleScreenshotAndQuit() once `sender` emits `signal`, or after `timeoutMs` (0: no limit)
/// so that a run that fails never leaves the application waiting; whichever comes first.
template <typename Sender, typename Signal>
void screenshotOnSignal(QWidget *window, const Sender *sender, Signal signal, const QString &path,
                        int timeoutMs, int delayMs = 400)
{
    auto shot = std::make_shared<bool>(false);
    auto shootOnce = [window, shot, path, delayMs] {
        if (!*shot) {
            *shot = true;
            scheduleScreenshotAndQuit(window, path, delayMs);
        }
    };
    QObject::connect(sender, signal, window, shootOnce);
    if (timeoutMs > 0) {
        QTimer::singleShot(timeoutMs, window, shootOnce);
    }
}

}  // namespace gyrus::app
