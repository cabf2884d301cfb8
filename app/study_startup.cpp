#include "app/study_startup.h"

#include "app/dock_catalog.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "core/engine/engine_client.h"
#include "widgets/panels/activation_patching_tab.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/concept_sweep_tab.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/feature_search_box.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/steering_panel.h"

#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>

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

/// The open set's first factor's two levels as "factor=level" sides, when there are two.
void chooseFirstFactorSides(MainWindow *window, QComboBox *sideA, QComboBox *sideB)
{
    const PromptSet set = window->promptSetsPanel()->promptSet();
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
    sideA->setCurrentText(a);
    sideB->setCurrentText(b);
}

}  // namespace

bool startStudyViewAtStartup(MainWindow *window, EngineClient *engine, const QString &view,
                             const QString &text, QWidget *pictured, const QString &screenshotPath)
{
    widgets::AttributionPanel *attribution = window->attributionPanel();
    widgets::FeatureInspectorPanel *features = window->featureInspector();
    widgets::SteeringPanel *steering = window->steeringPanel();
    auto shot = std::make_shared<bool>(false);
    auto shoot = [pictured, screenshotPath, shot] {
        if (!screenshotPath.isEmpty() && !*shot) {
            *shot = true;
            scheduleScreenshotAndQuit(pictured, screenshotPath, 800);
        }
    };
    auto started = std::make_shared<bool>(false);
    std::function<void()> start;
    if (view == QLatin1String("patching") && attribution) {
        QObject::connect(attribution->patchingView(),
                         &widgets::ActivationPatchingTab::patchingShown, window, shoot);
        start = [window, attribution] {
            raise(window, dock_id::kAttribution);
            attribution->showTab(widgets::AttributionPanel::PatchingTab);
            attribution->patchingView()->run();
        };
    } else if (view == QLatin1String("search") && features) {
        widgets::FeatureSearchBox *box = features->searchBox();
        // Select the best hit and shoot once the dock shows its details under the list (not
        // those of a feature the dock opened before).
        QObject::connect(
                box, &widgets::FeatureSearchBox::resultsShown, window,
                [window, features, box, shoot] {
                    if (box->resultModel()->rowCount() == 0) {
                        shoot();
                        return;
                    }
                    const int hit = box->resultModel()->item(0, 0)->data(Qt::UserRole).toInt();
                    QObject::connect(features, &widgets::FeatureInspectorPanel::detailsShown,
                                     window, [hit, shoot](int feature) {
                                         if (feature == hit) {
                                             shoot();
                                         }
                                     });
                    box->resultView()->selectRow(0);
                    Q_EMIT box->resultView()->clicked(box->resultModel()->index(0, 0));
                });
        start = [window, features, box, text] {
            raise(window, dock_id::kFeatures);
            features->showSearch(true);
            box->setCriterion(widgets::FeatureSearchBox::Criterion::FiresOn);
            box->textEdit()->setText(text);
            box->search();
        };
    } else if (view == QLatin1String("concept-sweep") && steering) {
        widgets::ConceptSweepTab *sweep = steering->conceptSweep();
        QObject::connect(sweep, &widgets::ConceptSweepTab::sweepShown, window, shoot);
        start = [window, steering, sweep, text] {
            raise(window, dock_id::kSteering);
            steering->showResultsTab(3);
            if (!text.isEmpty()) {
                steering->setPrompt(text);
            }
            chooseFirstFactorSides(window, sweep->sideA(), sweep->sideB());
            sweep->run();
        };
    } else {
        return false;
    }
    QObject::connect(engine, &EngineClient::saeLoaded, window, [start, started] {
        if (!*started) {
            *started = true;
            start();
        }
    });
    if (!screenshotPath.isEmpty()) {
        QTimer::singleShot(180000, window, shoot);  // never hang on a failed request
    }
    return true;
}

}  // namespace gyrus::app
