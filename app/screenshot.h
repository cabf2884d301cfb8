#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <functional>
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

/// `action` as a callable that runs it the first time it is called and does nothing after: the
/// start-up steps hang on signals that may fire again (saeLoaded after a second load, a view's
/// result after a rerun) and on time-outs that race them.
inline std::function<void()> firstCallOnly(std::function<void()> action)
{
    auto done = std::make_shared<bool>(false);
    return [done, action = std::move(action)] {
        if (!*done) {
            *done = true;
            action();
        }
    };
}

/// scheduleScreenshotAndQuit() as a callable that takes the picture the first time it is called;
/// with an empty `path` (no --screenshot) it does nothing.
inline std::function<void()> screenshotOnce(QWidget *window, const QString &path, int delayMs = 400)
{
    if (path.isEmpty()) {
        return [] {};
    }
    return firstCallOnly(
            [window, path, delayMs] { scheduleScreenshotAndQuit(window, path, delayMs); });
}

/// scheduleScreenshotAndQuit() once `sender` emits `signal`, or after `timeoutMs` (0: no limit)
/// so that a run that fails never leaves the application waiting; whichever comes first.
template <typename Sender, typename Signal>
void screenshotOnSignal(QWidget *window, const Sender *sender, Signal signal, const QString &path,
                        int timeoutMs, int delayMs = 400)
{
    const std::function<void()> shootOnce = screenshotOnce(window, path, delayMs);
    QObject::connect(sender, signal, window, shootOnce);
    if (timeoutMs > 0) {
        QTimer::singleShot(timeoutMs, window, shootOnce);
    }
}

}  // namespace gyrus::app
