#pragma once

#include <QString>

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

class MainWindow;

/// The start-up option `--contrast TAB` (contrast, rsa-map, methods or judged: the judged
/// comparison on the bundled held-out text, with the configured endpoint): once the engine has
/// loaded the SAE, brings the Contrasts dock (unless `raiseDock` is false: another dock was asked
/// for) and that tab of it to the front and runs it on the prompt set open in the Prompt sets
/// dock, reading SAE features (the 2 × 2 effects when the set is a 2 × 2 design). What keeps it
/// from running (no prompt set open, ...) is printed on stderr. With a `screenshotPath`, the
/// window is rendered there once the result is on screen (or the reason it cannot run is), and
/// the application quits. With a `reportPath`, File ▸ Export study report is written
/// there at that moment too (and, without a screenshot, the application quits). False when TAB is
/// none of the four.
bool startContrastAtStartup(MainWindow *window, EngineClient *engine, const QString &tab,
                            const QString &screenshotPath, const QString &reportPath = QString(),
                            bool raiseDock = true);

}  // namespace gyrus::app
