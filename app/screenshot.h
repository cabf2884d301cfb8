#pragma once

#include <QString>

class QWidget;

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

}  // namespace gyrus::app
