#include "app/startup_script.h"

#include "app/attribution_startup.h"
#include "app/contrast_startup.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "app/study_startup.h"
#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "core/engine/engine_client.h"
#include "core/rsa/rsa_requests.h"
#include "core/session/selection_hub.h"
#include "core/steering/clamp_set.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"

#include <QDockWidget>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace gyrus::app {

namespace {

bool refuse(const QString &message)
{
    std::fprintf(stderr, "gyrus: %s\n", qPrintable(message));
    return false;
}

// Runs `work` once, after the first SAE is loaded (the model is loaded before it).
template <typename Work>
void onceSaeLoaded(EngineClient *engine, QObject *context, Work work)
{
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(engine, &EngineClient::saeLoaded, context, [connection, work] {
        QObject::disconnect(*connection);
        work();
    });
}

}  // namespace

StartupScript::StartupScript(QCommandLineParser &parser)
    : m_parser(parser)
    , m_screenshot(QStringLiteral("screenshot"),
                   QStringLiteral("Render the window to FILE after start-up, then exit."),
                   QStringLiteral("FILE"))
    , m_raiseDock(QStringLiteral("raise-dock"),
                  QStringLiteral("Bring this dock's tab to the front (e.g. dock.saeTraining); "
                                 "with --screenshot, for pictures of one dock."),
                  QStringLiteral("NAME"))
    , m_dockOnly(QStringLiteral("screenshot-dock"),
                 QStringLiteral("With --raise-dock and --screenshot: float that dock at "
                                "1280×800 and picture it alone."))
    , m_heatmapText(QStringLiteral("heatmap-text"),
                    QStringLiteral("Analyse TEXT in the Token heatmap dock once the SAE is "
                                   "loaded (with --screenshot: shoot when the heatmap is shown)."),
                    QStringLiteral("TEXT"))
    , m_selectFeature(QStringLiteral("select-feature"),
                      QStringLiteral("Select this SAE feature at start-up (every dock shows it; "
                                     "with --screenshot and no --heatmap-text, shoot once the "
                                     "Features dock shows it)."),
                      QStringLiteral("N"))
    , m_scanTokens(QStringLiteral("scan-tokens"),
                   QStringLiteral("When the loaded SAE has no saved corpus scan, scan the "
                                  "Features dock's corpus with N tokens (0: the whole file) and "
                                  "save it next to the SAE."),
                   QStringLiteral("N"))
    , m_steeringExample(QStringLiteral("steering-example"),
                        QStringLiteral("Once the demo SAE is loaded, run the Steering dock's "
                                       "example (clamp the feature most active on its prompt); "
                                       "with --screenshot, shoot when it is done."))
    , m_promptSet(QStringLiteral("prompt-set"),
                  QStringLiteral("Open this prompt set (legacy or Gyrus JSON) in the Prompt sets "
                                 "dock."),
                  QStringLiteral("FILE"))
    , m_clamp(QStringLiteral("clamp"),
              QStringLiteral("Start with FEATURE clamped to VALUE in the shared clamp set "
                             "(repeatable)."),
              QStringLiteral("FEATURE=VALUE"))
    , m_rsa(QStringLiteral("rsa"),
            QStringLiteral("Compute the RSA dock's view at start-up with these settings, comma "
                           "separated: sae, intervention, mds (the MDS tab), metric=M, "
                           "pooling=P (for screenshots)."),
            QStringLiteral("SETTINGS"))
    , m_contrast(QStringLiteral("contrast"),
                 QStringLiteral("Once the SAE is loaded, run this tab of the Contrasts dock "
                                "(contrast, rsa-map, methods or judged) on the open prompt set "
                                "with SAE features; with --screenshot, shoot when its result is "
                                "on screen."),
                 QStringLiteral("TAB"))
    , m_attributionText(QStringLiteral("attribution-text"),
                        QStringLiteral("Open the Attribution dock on TEXT once the SAE is loaded "
                                       "and run its attribution (verified by ablation), logit "
                                       "lens and attention (with --screenshot: shoot when all "
                                       "are shown)."),
                        QStringLiteral("TEXT"))
    , m_attributionTab(QStringLiteral("attribution-tab"),
                       QStringLiteral("With --attribution-text: the tab in front (attribution, "
                                      "lens or attention)."),
                       QStringLiteral("TAB"))
    , m_attributionSae(QStringLiteral("attribution-sae"),
                       QStringLiteral("With --attribution-text: also attribute to the SAE in DIR "
                                      "(at another hook, e.g. another layer), as the dock's "
                                      "\"Other layers\" list does (repeatable)."),
                       QStringLiteral("DIR"))
    , m_studyView(QStringLiteral("study-view"),
                  QStringLiteral("Once the SAE is loaded, open one of these views computed: "
                                 "patching (the Attribution dock's Patching tab on the open "
                                 "prompt set's minimal pairs), search (the Features dock's search "
                                 "for the features active on --study-text's last token), "
                                 "concept-sweep (the Steering dock's concept vector vs features "
                                 "on the open set, prompt --study-text); with --screenshot, shoot "
                                 "when it is shown."),
                  QStringLiteral("VIEW"))
    , m_studyText(QStringLiteral("study-text"),
                  QStringLiteral("The text --study-view search and concept-sweep use."),
                  QStringLiteral("TEXT"))
    , m_exportReport(QStringLiteral("export-report"),
                     QStringLiteral("With --contrast: once its result is on screen, write File > "
                                    "Export study report to FILE (HTML) and quit (after the "
                                    "--screenshot, if any)."),
                     QStringLiteral("FILE"))
    , m_about(QStringLiteral("about"),
              QStringLiteral("Open the About box at start-up (with --screenshot, the picture "
                             "shows it over the window)."))
{
    parser.addOptions({m_screenshot, m_raiseDock, m_heatmapText, m_selectFeature, m_steeringExample,
                       m_scanTokens, m_promptSet, m_clamp, m_rsa, m_dockOnly, m_contrast, m_about,
                       m_exportReport, m_attributionText, m_attributionTab, m_attributionSae,
                       m_studyView, m_studyText});
}

bool StartupScript::takesScreenshot() const
{
    return m_parser.isSet(m_screenshot);
}

bool StartupScript::prepare(MainWindow *window, EngineClient *engine)
{
    m_pictured = window;
    if (m_parser.isSet(m_raiseDock)) {
        QDockWidget *dock = window->dock(m_parser.value(m_raiseDock));
        if (!dock) {
            return refuse(QStringLiteral("no dock named %1").arg(m_parser.value(m_raiseDock)));
        }
        // After the default layout has raised its own tabs.
        QTimer::singleShot(50, dock, [dock] { dock->raise(); });
        if (m_parser.isSet(m_dockOnly)) {
            // A dense dock (two matrices side by side) reads better at a size of its own.
            dock->setFloating(true);
            dock->resize(1280, 800);
            dock->show();
            m_pictured = dock;
        }
    }
    if (m_parser.isSet(m_selectFeature)) {
        bool ok = false;
        m_selectedFeature = m_parser.value(m_selectFeature).toInt(&ok);
        if (!ok || m_selectedFeature < 0) {
            m_selectedFeature = -1;
            return refuse(QStringLiteral("--select-feature takes a feature number, not %1")
                                  .arg(m_parser.value(m_selectFeature)));
        }
        window->selection()->selectFeature(m_selectedFeature, QStringLiteral("command line"));
    }
    if (m_parser.isSet(m_scanTokens)) {
        bool ok = false;
        const qint64 tokens = m_parser.value(m_scanTokens).toLongLong(&ok);
        if (!ok || tokens < 0) {
            return refuse(QStringLiteral("--scan-tokens takes a token count, not %1")
                                  .arg(m_parser.value(m_scanTokens)));
        }
        window->featureInspector()->setAutoScanTokens(tokens);
    }
    if (m_parser.isSet(m_promptSet)) {
        if (const Status opened = window->promptSetsPanel()->openFile(m_parser.value(m_promptSet));
            !opened.isOk()) {
            return refuse(opened.message());
        }
    }
    if (m_parser.isSet(m_contrast) &&
        !startContrastAtStartup(window, engine, m_parser.value(m_contrast),
                                m_parser.value(m_screenshot), m_parser.value(m_exportReport),
                                !m_parser.isSet(m_raiseDock))) {
        return refuse(QStringLiteral("--contrast takes contrast, rsa-map, methods or judged"));
    }
    if (m_parser.isSet(m_attributionText) &&
        !startAttributionAtStartup(
                window, engine, m_parser.value(m_attributionText), m_parser.value(m_attributionTab),
                m_parser.values(m_attributionSae), m_pictured, m_parser.value(m_screenshot))) {
        return refuse(QStringLiteral("--attribution-tab takes attribution, lens or attention"));
    }
    if (m_parser.isSet(m_studyView) &&
        !startStudyViewAtStartup(window, engine, m_parser.value(m_studyView),
                                 m_parser.value(m_studyText), m_pictured,
                                 m_parser.value(m_screenshot))) {
        return refuse(QStringLiteral("--study-view takes patching, search or concept-sweep"));
    }
    return true;
}

bool StartupScript::applyRsaSettings(MainWindow *window) const
{
    widgets::RsaPanel *panel = window->rsaPanel();
    if (!panel) {
        return true;
    }
    RsaRequest request = panel->request();
    QString view;
    for (const QString &setting : m_parser.value(m_rsa).split(QLatin1Char(','))) {
        const QString key = setting.section(QLatin1Char('='), 0, 0);
        const QString value = setting.section(QLatin1Char('='), 1);
        if (key == QLatin1String("sae")) {
            request.saeFeatures = true;
        } else if (key == QLatin1String("intervention")) {
            request.intervention = true;
            view = QStringLiteral("intervention");
        } else if (key == QLatin1String("mds") && view.isEmpty()) {
            view = QStringLiteral("mds");
        } else if (key == QLatin1String("metric")) {
            const Result<RdmMetric> metric = parseName<RdmMetric>(value);
            if (!metric) {
                return refuse(QStringLiteral("--rsa: %1").arg(metric.status().message()));
            }
            request.metric = metric.value();
        } else if (key == QLatin1String("pooling")) {
            const Result<Pooling> pooling = parseName<Pooling>(value);
            if (!pooling) {
                return refuse(QStringLiteral("--rsa: %1").arg(pooling.status().message()));
            }
            request.pooling = pooling.value();
        }
    }
    panel->setRequest(request);
    if (!view.isEmpty()) {
        panel->showView(view);
    }
    // Queued behind the model and SAE loads, so the screenshot waits for the result too.
    panel->compute();
    return true;
}

bool StartupScript::finish(MainWindow *window, EngineClient *engine, bool modelLoading,
                           bool workspaceOpened)
{
    for (const QString &entry : m_parser.values(m_clamp)) {
        const std::optional<FeatureClamp> edit = parseFeatureValue(entry);
        if (!edit) {
            return refuse(QStringLiteral("--clamp takes FEATURE=VALUE, got %1").arg(entry));
        }
        window->selection()->addClamp(*edit);
    }
    if (m_parser.isSet(m_rsa) && !applyRsaSettings(window)) {
        return false;
    }
    if (m_selectedFeature >= 0) {
        // Again: a --clamp above makes the Steering dock select the clamped feature.
        window->selection()->selectFeature(m_selectedFeature, QStringLiteral("command line"));
    }
    widgets::TokenHeatmapPanel *heatmap = window->tokenHeatmapPanel();
    const bool analyseAtStart = m_parser.isSet(m_heatmapText) && heatmap;
    if (analyseAtStart) {
        onceSaeLoaded(engine, heatmap, [heatmap, text = m_parser.value(m_heatmapText)] {
            heatmap->analyzeText(text);
        });
    }
    widgets::SteeringPanel *steering = window->steeringPanel();
    const bool steerAtStart = m_parser.isSet(m_steeringExample) && steering;
    if (steerAtStart) {
        onceSaeLoaded(engine, steering, [steering] { steering->runExample(); });
    }
    if (takesScreenshot()) {
        scheduleScreenshot(window, engine, analyseAtStart, steerAtStart, modelLoading,
                           workspaceOpened);
    }
    if (m_parser.isSet(m_about)) {
        // After the window's first paint, so the box is centred over it.
        QTimer::singleShot(0, window, [window] { window->showAbout(); });
    }
    return true;
}

void StartupScript::scheduleScreenshot(MainWindow *window, EngineClient *engine,
                                       bool analyseAtStart, bool steerAtStart, bool modelLoading,
                                       bool workspaceOpened) const
{
    const QString shot = m_parser.value(m_screenshot);
    if (analyseAtStart) {
        // Shoot the heatmap itself, not the moment the SAE finished loading; never hang on a
        // failed analysis.
        screenshotOnSignal(window, window->tokenHeatmapPanel(),
                           &widgets::TokenHeatmapPanel::analysisShown, shot, 120000);
    } else if (steerAtStart) {
        // Shoot the finished run (both columns, the diff, the next-token table and the sweep).
        screenshotOnSignal(window, window->steeringPanel(), &widgets::SteeringPanel::runFinished,
                           shot, 0, 800);
    } else if (m_selectedFeature >= 0 && modelLoading) {
        // Shoot once the Features dock shows the feature (after a scan, when one runs); never
        // hang on a failed scan.
        screenshotOnSignal(window, window->featureInspector(),
                           &widgets::FeatureInspectorPanel::detailsShown, shot, 300000);
    } else if (!m_parser.isSet(m_contrast) && !m_parser.isSet(m_attributionText) &&
               !m_parser.isSet(m_studyView)) {
        if (!modelLoading && !workspaceOpened) {
            scheduleScreenshotAndQuit(m_pictured, shot);
        } else {
            // Shoot once the model is loaded, so the picture shows its card.
            scheduleScreenshotWhenIdle(m_pictured, engine, shot);
        }
    }
}

}  // namespace gyrus::app
