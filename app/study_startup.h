#pragma once

#include <QString>

class QWidget;

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

class MainWindow;

/// The start-up option `--study-view VIEW [--study-text TEXT]`, for screenshots and first looks:
/// once the engine has loaded the SAE,
/// - `patching`: the Attribution dock's Patching tab patches the open prompt set's minimal pairs;
/// - `search`: the Features dock's search lists the features active on TEXT's last token and
///   selects the first;
/// - `concept-sweep`: the Steering dock compares steering by the open prompt set's concept
///   vector (its first factor's two levels) with its top contrast features over α on TEXT.
/// With a `screenshotPath`, `pictured` is rendered there once the result is on screen, and the
/// application quits. False for another VIEW.
bool startStudyViewAtStartup(MainWindow *window, EngineClient *engine, const QString &view,
                             const QString &text, QWidget *pictured, const QString &screenshotPath);

}  // namespace gyrus::app
