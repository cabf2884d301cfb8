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

    QObject::connect(engine, &EngineClient::saeLoaded, panel,
                     firstCallOnly([window, panel, index, text, extraSaes] {
                         if (QDockWidget *dock = window->dock(dock_id::kAttribution)) {
                             dock->show();
                             dock->raise();
                         }
                         panel->setPrompt(text);
                         panel->setExtraSaes(extraSaes);
                         panel->showTab(widgets::AttributionPanel::Tab(index));
                         panel->runAll();
                     }));
    // Verify once the attribution is there (a screenshot shows estimate beside real change).
    QObject::connect(
            panel, &widgets::AttributionPanel::attributionShown, panel,
            firstCallOnly([panel] { QTimer::singleShot(0, panel, [panel] { panel->verify(); }); }));
    if (!screenshotPath.isEmpty()) {
        // Four results to wait for: attribution, its verification, the lens and the patterns.
        const std::function<void()> shoot = screenshotOnce(pictured, screenshotPath, 800);
        auto shown = std::make_shared<int>(0);
        auto oneMore = [shoot, shown] {
            if (++*shown == 4) {
                shoot();
            }
        };
        QObject::connect(panel, &widgets::AttributionPanel::verificationShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::attributionShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::logitLensShown, window, oneMore);
        QObject::connect(panel, &widgets::AttributionPanel::attentionShown, window, oneMore);
        // Never hang on a failed request.
        QTimer::singleShot(120000, window, shoot);
    }
    return true;
}

}  // namespace gyrus::app
