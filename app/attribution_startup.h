#pragma once

#include <QString>
#include <QStringList>

class QWidget;

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

class MainWindow;

/// The start-up options `--attribution-text TEXT [--attribution-tab TAB]` (attribution, lens or
/// attention): once the engine has loaded the SAE, brings the Attribution dock to the front on
/// TAB, puts TEXT in its prompt and runs all three analyses (verifying the top features by
/// ablation too); `extraSaes` (--attribution-sae) go into its "Other layers" list first. With a
/// `screenshotPath`, `pictured` is rendered there once every result is on screen, and the
/// application quits. False when TAB is none of the three.
bool startAttributionAtStartup(MainWindow *window, EngineClient *engine, const QString &text,
                               const QString &tab, const QStringList &extraSaes, QWidget *pictured,
                               const QString &screenshotPath);

}  // namespace gyrus::app
