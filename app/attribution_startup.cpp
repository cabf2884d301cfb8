#include "app/attribution_startup.h"

#include "app/dock_catalog.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "core/engine/engine_client.h"
#include "widgets/panels/attribution_panel.h"

#include <QDockWidget>
#include <QTimer>

#include <memory>

namespace gyrus::app {

bool startAttributionAtStartup(MainWindow *window, EngineClient *engine, const QString &text,
                               const QString &tab, const QStringList &extraSaes, QWidget *pictured,
                               const QString &screenshotPath)
{
    widgets::AttributionPanel *panel = window->attributionPanel();
    const QStringList tabs = {QStringLiteral("attribution"), QStringLiteral("lens"),
                              QStringLiteral("attention")};
    const int index = tab.isEmpty() ? 0 : tabs.indexOf(tab);
    if (!panel || index < 0) {
        return false;
    }

    // Four results to wait for: attribution, its verification, the lens and the patterns.
    struct Progress
    {
        bool started = false;
        bool verifyStarted = false;
        int shown = 0;
        bool shot = false;
    };

    auto progress = std::make_shared<Progress>();
    QObject::connect(engine, &EngineClient::saeLoaded, panel,
                     [window, panel, index, text, extraSaes, progress] {
                         if (progress->started) {
                             return;
                         }
                         progress->started = true;
                         if (QDockWidget *dock = window->dock(dock_id::kAttribution)) {
                             dock->show();
                             dock->raise();
                         }
                         panel->setPrompt(text);
                         panel->setExtraSaes(extraSaes);
                         panel->showTab(widgets::AttributionPanel::Tab(index));
                         panel->runAll();
                     });
    // Verify once the attribution is there (a screenshot shows estimate beside real change).
    QObject::connect(panel, &widgets::AttributionPanel::attributionShown, panel, [panel, progress] {
        if (!progress->verifyStarted) {
            progress->verifyStarted = true;
            QTimer::singleShot(0, panel, [panel] { panel->verify(); });
        }
    });
    if (!screenshotPath.isEmpty()) {
        auto oneMore = [pictured, screenshotPath, progress] {
            if (++progress->shown == 4 && !progress->shot) {
                progress->shot = true;
                scheduleScreenshotAndQuit(pictured, screenshotPath, 800);
            }
        };
        QObject::connect(panel, &widgets::AttributionPanel::verificationShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::attributionShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::logitLensShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::attentionShown, window, oneMore);
        // Never hang on a failed request.
        QTimer::singleShot(120000, window, [pictured, screenshotPath, progress] {
            if (!progress->shot) {
                progress->shot = true;
                scheduleScreenshotAndQuit(pictured, screenshotPath);
            }
        });
    }
    return true;
}

}  // namespace gyrus::app
