#include "app/contrast_startup.h"

#include "app/demo_assets.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "app/study_report_export.h"
#include "core/engine/engine_client.h"
#include "core/session/selection_hub.h"
#include "widgets/panels/contrast_panel.h"

#include <QCoreApplication>
#include <QDockWidget>

#include <cstdio>
#include <functional>
#include <memory>

namespace gyrus::app {

bool startContrastAtStartup(MainWindow *window, EngineClient *engine, const QString &tab,
                            const QString &screenshotPath, const QString &reportPath,
                            bool raiseDock)
{
    using Tab = widgets::ContrastPanel::Tab;
    widgets::ContrastPanel *panel = window->contrastPanel();
    const QStringList tabs = {QStringLiteral("contrast"), QStringLiteral("rsa-map"),
                              QStringLiteral("methods"), QStringLiteral("judged")};
    const int index = tabs.indexOf(tab);
    if (!panel || index < 0) {
        return false;
    }
    const Tab chosen = Tab(index);
    const std::function<void()> shoot = screenshotOnce(window, screenshotPath);
    QObject::connect(engine, &EngineClient::saeLoaded, panel, firstCallOnly([=] {
                         // SAE features; the Contrast tab shows the 2 × 2 effects when the set is a
                         // 2 × 2 design.
                         ContrastSource request = panel->request();
                         request.saeFeatures = true;
                         if (chosen == Tab::Contrast) {
                             request.factorial = true;
                         }
                         panel->setRequest(request);
                         // In the default layout the dock is a tab behind the token heatmap: a
                         // result there would be computed but not seen (nor pictured).
                         if (QDockWidget *dock = window->dock(QStringLiteral("dock.contrast"));
                             dock && raiseDock) {
                             dock->raise();
                         }
                         panel->showTab(chosen);
                         const QString problem =
                                 chosen != Tab::Judged ? panel->problem() : QString();
                         if (!problem.isEmpty()) {
                             // The view shows it too; without this the start-up (and a screenshot)
                             // waited forever.
                             std::fprintf(stderr, "gyrus: --contrast %s cannot run: %s\n",
                                          qPrintable(tabs[index]), qPrintable(problem));
                         }
                         if (chosen == Tab::Judged) {
                             // The bundled held-out text (GYRUS_HELDOUT_TEXT for another), judged
                             // by the configured endpoint; a missing endpoint or corpus shows its
                             // message.
                             widgets::JudgedMethodsTab::Settings settings = panel->judgedSettings();
                             settings.corpusPath = bundledHeldoutText();
                             settings.k = 4;
                             settings.top = 8;
                             settings.permutations = 999;
                             settings.judge.repeats = 2;
                             panel->setJudgedSettings(settings);
                         }
                         panel->run();
                         if (!problem.isEmpty()) {
                             shoot();
                         }
                     }));
    if (!reportPath.isEmpty()) {
        QObject::connect(
                panel, &widgets::ContrastPanel::resultShown, window,
                firstCallOnly([window, engine, reportPath, quit = screenshotPath.isEmpty()] {
                    const Status status = exportStudyReport(window, engine, reportPath);
                    std::fprintf(stderr, "gyrus: %s\n",
                                 qPrintable(status.isOk() ? QStringLiteral("report written to ") +
                                                                    reportPath
                                                          : status.message()));
                    if (quit) {
                        QCoreApplication::exit(status.isOk() ? 0 : 1);
                    }
                }));
    }
    if (!screenshotPath.isEmpty()) {
        QObject::connect(
                panel, &widgets::ContrastPanel::resultShown, window, [window, panel, shoot] {
                    // Select the strongest feature, so the picture shows selection too.
                    if (const int top = panel->topFeature(); top >= 0) {
                        window->selection()->selectFeature(top, QStringLiteral("contrast"));
                    }
                    shoot();
                });
        QObject::connect(panel, &widgets::ContrastPanel::judgedRunFailed, window,
                         [shoot] { shoot(); });
        // A failed run is worth a picture too (it shows the message), but never hang.
        QObject::connect(engine, &EngineClient::finished, window,
                         [shoot](RequestId, const Status &status) {
                             if (!status.isOk()) {
                                 shoot();
                             }
                         });
    }
    return true;
}

}  // namespace gyrus::app
