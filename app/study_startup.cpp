#include "app/study_startup.h"

#include "app/dock_catalog.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "core/engine/engine_client.h"
#include "core/session/session_state.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/steering_panel.h"

#include <QDockWidget>
#include <QTimer>

#include <functional>
#include <memory>

namespace gyrus::app {

namespace {

void raise(MainWindow *window, const QString &dockName)
{
    if (QDockWidget *dock = window->dock(dockName)) {
        dock->show();
        dock->raise();
    }
}

/// The open set's first factor's two levels as the concept sweep's sides ("factor=level" when
/// the set has several factors), when there are two.
void chooseFirstFactorSides(MainWindow *window, widgets::SteeringPanel *steering)
{
    const PromptSet &set = window->session()->promptSet();
    if (set.factors.isEmpty() || set.factors.first().levels.size() < 2) {
        return;
    }
    const PromptFactor &factor = set.factors.first();
    const QString a = set.factors.size() > 1
                              ? QStringLiteral("%1=%2").arg(factor.name, factor.levels.at(0))
                              : factor.levels.at(0);
    const QString b = set.factors.size() > 1
                              ? QStringLiteral("%1=%2").arg(factor.name, factor.levels.at(1))
                              : factor.levels.at(1);
    steering->setConceptSides(a, b);
}

}  // namespace

bool startStudyViewAtStartup(MainWindow *window, EngineClient *engine, const QString &view,
                             const QString &text, QWidget *pictured, const QString &screenshotPath)
{
    widgets::AttributionPanel *attribution = window->attributionPanel();
    widgets::FeatureInspectorPanel *features = window->featureInspector();
    widgets::SteeringPanel *steering = window->steeringPanel();
    const std::function<void()> shoot = screenshotOnce(pictured, screenshotPath, 800);
    std::function<void()> start;
    if (view == QLatin1String("patching") && attribution) {
        QObject::connect(attribution, &widgets::AttributionPanel::patchingShown, window, shoot);
        start = [window, attribution] {
            raise(window, dock_id::kAttribution);
            attribution->showTab(widgets::AttributionPanel::PatchingTab);
            attribution->run();
        };
    } else if (view == QLatin1String("search") && features) {
        // Select the best hit and shoot once the dock shows its details under the list (not
        // those of a feature the dock opened before).
        QObject::connect(features, &widgets::FeatureInspectorPanel::searchResultsShown, window,
                         [window, features, shoot] {
                             const int hit = features->searchHit(0);
                             if (hit < 0) {
                                 shoot();
                                 return;
                             }
                             QObject::connect(features,
                                              &widgets::FeatureInspectorPanel::detailsShown, window,
                                              [hit, shoot](int feature) {
                                                  if (feature == hit) {
                                                      shoot();
                                                  }
                                              });
                             features->openSearchHit(0);
                         });
        start = [window, features, text] {
            raise(window, dock_id::kFeatures);
            features->search(widgets::FeatureSearchBox::Criterion::FiresOn, text);
        };
    } else if (view == QLatin1String("concept-sweep") && steering) {
        QObject::connect(steering, &widgets::SteeringPanel::conceptSweepShown, window, shoot);
        start = [window, steering, text] {
            raise(window, dock_id::kSteering);
            steering->showResultsTab(widgets::SteeringPanel::ConceptSweepResults);
            if (!text.isEmpty()) {
                steering->setPrompt(text);
            }
            chooseFirstFactorSides(window, steering);
            steering->runConceptSweep();
        };
    } else {
        return false;
    }
    QObject::connect(engine, &EngineClient::saeLoaded, window, firstCallOnly(start));
    if (!screenshotPath.isEmpty()) {
        QTimer::singleShot(180000, window, shoot);  // never hang on a failed request
    }
    return true;
}

}  // namespace gyrus::app
