// The Gyrus desktop application.

#include "app/attribution_startup.h"
#include "app/contrast_startup.h"
#include "app/demo_assets.h"
#include "app/main_window.h"
#include "app/screenshot.h"
#include "app/study_startup.h"
#include "app/workspace_controller.h"
#include "core/llm/chat_endpoint.h"
#include "core/llm/engine_chat_backend.h"
#include "core/llm/explainer_settings.h"
#include "core/llm/openai_chat_client.h"
#include "core/log_capture.h"
#include "core/log_model.h"
#include "core/logging.h"
#include "core/selection_hub.h"
#include "core/version.h"
#include "core/workspace.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"
#include "widgets/eliding_style.h"
#include "widgets/feature_inspector_panel.h"
#include "widgets/icons.h"
#include "widgets/model_panel.h"
#include "widgets/prompt_sets_panel.h"
#include "widgets/rsa_panel.h"
#include "widgets/sae_picker.h"
#include "widgets/steering_panel.h"
#include "widgets/token_heatmap_panel.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QSettings>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace {

void logRuntime()
{
    const gyrus::gpu::RuntimeInfo info = gyrus::gpu::runtimeInfo();
    qCInfo(lcCore).noquote()
            << QStringLiteral("Gyrus %1 · LibTorch %2 · intra-op threads: %3 · CUDA: %4")
                       .arg(gyrus::versionString(), info.torchVersion)
                       .arg(info.intraOpThreads)
                       .arg(info.cudaAvailable
                                    ? QStringLiteral("%1 device(s)").arg(info.cudaDeviceCount)
                                    : QStringLiteral("not available"));
    if (!info.blasIsOptimised) {
        qCWarning(lcCore).noquote()
                << QStringLiteral(
                           "BLAS is %1, not OpenBLAS: matrix products will be ~20x slower. "
                           "Install libopenblas0-openmp (scripts/setup does).")
                           .arg(info.blasLibrary.isEmpty() ? QStringLiteral("unknown")
                                                           : info.blasLibrary);
    } else {
        qCInfo(lcCore).noquote() << QStringLiteral("BLAS: %1").arg(info.blasLibrary);
    }
}

// A partial install (or a copy without share/gyrus) starts with what is there and says what is
// not, instead of failing on the first missing file.
void reportMissingDemoAssets(gyrus::app::MainWindow *window)
{
    const QStringList missing = gyrus::app::missingDemoAssets();
    if (missing.isEmpty()) {
        return;
    }
    for (const QString &part : missing) {
        qCWarning(lcCore).noquote()
                << QStringLiteral("demo not installed completely: %1").arg(part);
    }
    window->setStatusMessage(
            QCoreApplication::translate("main",
                                        "The demo is not installed completely (%1); the rest "
                                        "starts empty. Open a model in the Model dock; the Log "
                                        "dock lists what is missing.")
                    .arg(missing.constFirst()));
}

}  // namespace

namespace {

// The Features dock's explainer as Settings ▸ Language model endpoint… (or --llm-endpoint and
// --llm-model, stored there) describe it; none by default, so nothing leaves the machine unless
// the user asked for it.
std::unique_ptr<gyrus::ChatBackend> makeExplainer(const gyrus::ExplainerSettings &settings,
                                                  gyrus::EngineClient *engine, QString *problem)
{
    const gyrus::Result<gyrus::ChatEndpoint> parsed = gyrus::explainerEndpoint(settings);
    if (!parsed) {
        *problem = parsed.status().message();
        return nullptr;
    }
    if (parsed->kind == gyrus::ChatEndpoint::Kind::Engine) {
        if (parsed->model.isEmpty()) {  // the studied model is itself an instruct model
            return std::make_unique<gyrus::EngineChatBackend>(engine);
        }
        // An explainer beside the studied model: an engine (thread) of its own, owned by it.
        auto own = std::make_unique<gyrus::gpu::TorchEngineClient>();
        auto backend = std::make_unique<gyrus::EngineChatBackend>(own.get(),
                                                                  gyrus::ModelSpec{parsed->model});
        own.release()->setParent(backend.get());
        return backend;
    }
    if (parsed->kind != gyrus::ChatEndpoint::Kind::Http) {
        return nullptr;
    }
    return std::make_unique<gyrus::OpenAiChatClient>(parsed.value());
}

}  // namespace

int main(int argc, char *argv[])
{
    gyrus::gpu::useNativeBlasKernels(argv);
    QApplication app(argc, argv);
    gyrus::widgets::installElidingStyle(&app);
    QApplication::setApplicationName(QString::fromLatin1(gyrus::kApplicationName));
    QApplication::setOrganizationName(QString::fromLatin1(gyrus::kOrganizationName));
    QApplication::setApplicationVersion(gyrus::versionString());
    // Every window and dialog (the About box too) shows the icon; the desktop file name lets
    // Wayland compositors and docks match the window to the installed launcher and its icon.
    QApplication::setWindowIcon(gyrus::widgets::applicationIcon());
    QGuiApplication::setDesktopFileName(QStringLiteral(GYRUS_APP_ID));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Gyrus: interpret language models with the methods of cognitive neuroscience."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(
            QStringLiteral("screenshot"),
            QStringLiteral("Render the window to FILE after start-up, then exit."),
            QStringLiteral("FILE"));
    const QCommandLineOption resetLayout(QStringLiteral("reset-layout"),
                                         QStringLiteral("Ignore the saved dock layout."));
    const QCommandLineOption settingsFile(
            QStringLiteral("settings"),
            QStringLiteral("Keep window layout and preferences in this INI file instead of the "
                           "user's settings."),
            QStringLiteral("FILE"));
    const QCommandLineOption model(
            QStringLiteral("model"),
            QStringLiteral("Load this Hugging Face model directory at start-up (default: the "
                           "bundled demo model, when present)."),
            QStringLiteral("DIR"));
    const QCommandLineOption sae(QStringLiteral("sae"),
                                 QStringLiteral("Load this SAE after the model (default with the "
                                                "demo model: the demo SAE)."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption noModel(QStringLiteral("no-model"),
                                     QStringLiteral("Start without loading a model."));
    const QCommandLineOption device(QStringLiteral("device"),
                                    QStringLiteral("Device for --model: cpu or cuda:N."),
                                    QStringLiteral("DEVICE"), QStringLiteral("cpu"));
    const QCommandLineOption raiseDock(
            QStringLiteral("raise-dock"),
            QStringLiteral("Bring this dock's tab to the front (e.g. dock.saeTraining); with "
                           "--screenshot, for pictures of one dock."),
            QStringLiteral("NAME"));
    const QCommandLineOption heatmapText(
            QStringLiteral("heatmap-text"),
            QStringLiteral("Analyse TEXT in the Token heatmap dock once the SAE is loaded (with "
                           "--screenshot: shoot when the heatmap is shown)."),
            QStringLiteral("TEXT"));
    const QCommandLineOption selectFeature(
            QStringLiteral("select-feature"),
            QStringLiteral("Select this SAE feature at start-up (every dock shows it; with "
                           "--screenshot and no --heatmap-text, shoot once the Features dock "
                           "shows it)."),
            QStringLiteral("N"));
    const QCommandLineOption scanTokens(
            QStringLiteral("scan-tokens"),
            QStringLiteral("When the loaded SAE has no saved corpus scan, scan the Features dock's "
                           "corpus with N tokens (0: the whole file) and save it next to the SAE."),
            QStringLiteral("N"));
    const QCommandLineOption steeringExample(
            QStringLiteral("steering-example"),
            QStringLiteral("Once the demo SAE is loaded, run the Steering dock's example (clamp "
                           "the feature most active on its prompt); with --screenshot, shoot "
                           "when it is done."));
    const QCommandLineOption promptSet(
            QStringLiteral("prompt-set"),
            QStringLiteral("Open this prompt set (legacy or Gyrus JSON) in the Prompt sets dock."),
            QStringLiteral("FILE"));
    const QCommandLineOption clamp(
            QStringLiteral("clamp"),
            QStringLiteral("Start with FEATURE clamped to VALUE in the shared clamp set "
                           "(repeatable)."),
            QStringLiteral("FEATURE=VALUE"));
    const QCommandLineOption rsa(
            QStringLiteral("rsa"),
            QStringLiteral("Compute the RSA dock's view at start-up with these settings, comma "
                           "separated: sae, intervention, mds (the MDS tab), metric=M, "
                           "pooling=P (for screenshots)."),
            QStringLiteral("SETTINGS"));
    const QCommandLineOption dockOnly(
            QStringLiteral("screenshot-dock"),
            QStringLiteral("With --raise-dock and --screenshot: float that dock at 1280×800 and "
                           "picture it alone."));
    const QCommandLineOption contrast(
            QStringLiteral("contrast"),
            QStringLiteral(
                    "Once the SAE is loaded, run this tab of the Contrasts dock (contrast, "
                    "rsa-map, methods or judged) on the open prompt set with SAE features; with "
                    "--screenshot, shoot when its result is on screen."),
            QStringLiteral("TAB"));
    const QCommandLineOption attributionText(
            QStringLiteral("attribution-text"),
            QStringLiteral("Open the Attribution dock on TEXT once the SAE is loaded and run its "
                           "attribution (verified by ablation), logit lens and attention (with "
                           "--screenshot: shoot when all are shown)."),
            QStringLiteral("TEXT"));
    const QCommandLineOption attributionTab(
            QStringLiteral("attribution-tab"),
            QStringLiteral("With --attribution-text: the tab in front (attribution, lens or "
                           "attention)."),
            QStringLiteral("TAB"));
    const QCommandLineOption studyView(
            QStringLiteral("study-view"),
            QStringLiteral("Once the SAE is loaded, open one of these views computed: patching "
                           "(the Attribution dock's Patching tab on the open prompt set's "
                           "minimal pairs), search (the Features dock's search for the features "
                           "active on --study-text's last token), concept-sweep (the Steering "
                           "dock's concept vector vs features on the open set, prompt "
                           "--study-text); with --screenshot, shoot when it is shown."),
            QStringLiteral("VIEW"));
    const QCommandLineOption studyText(
            QStringLiteral("study-text"),
            QStringLiteral("The text --study-view search and concept-sweep use."),
            QStringLiteral("TEXT"));
    const QCommandLineOption exportReport(
            QStringLiteral("export-report"),
            QStringLiteral("With --contrast: once its result is on screen, write File > Export "
                           "study report to FILE (HTML) and quit (after the --screenshot, if "
                           "any)."),
            QStringLiteral("FILE"));
    const QCommandLineOption noRecovery(
            QStringLiteral("no-recovery"),
            QStringLiteral("Neither autosave to the crash-recovery file nor offer to restore one "
                           "(tests; implied by --screenshot)."));
    const QCommandLineOption about(
            QStringLiteral("about"),
            QStringLiteral("Open the About box at start-up (with --screenshot, the picture shows "
                           "it over the window)."));
    const QCommandLineOption llmEndpoint(
            QStringLiteral("llm-endpoint"),
            QStringLiteral("OpenAI-compatible server that explains features (Features dock, "
                           "Explain), e.g. http://127.0.0.1:8080/v1, or 'engine' (an instruct "
                           "model run by Gyrus's engine); remembered in the settings. Without "
                           "one nothing is sent anywhere. The key comes from GYRUS_LLM_API_KEY "
                           "and is never saved."),
            QStringLiteral("URL|engine"));
    const QCommandLineOption llmModel(
            QStringLiteral("llm-model"),
            QStringLiteral("The model the --llm-endpoint serves; with 'engine', an instruct "
                           "model's directory (empty: the loaded model answers)."),
            QStringLiteral("NAME"));
    parser.addOptions(
            {screenshot,      resetLayout,  settingsFile,    model,          sae,
             noModel,         device,       raiseDock,       heatmapText,    selectFeature,
             steeringExample, scanTokens,   promptSet,       clamp,          rsa,
             dockOnly,        contrast,     noRecovery,      about,          llmEndpoint,
             llmModel,        exportReport, attributionText, attributionTab, studyView,
             studyText});
    parser.addPositionalArgument(QStringLiteral("workspace"),
                                 QStringLiteral("A .gyrus workspace to open."),
                                 QStringLiteral("[workspace]"));
    parser.process(app);

    gyrus::LogModel logModel;
    gyrus::LogCapture capture;
    QObject::connect(&capture, &gyrus::LogCapture::messageLogged, &logModel,
                     &gyrus::LogModel::append);

    std::unique_ptr<QSettings> settings =
            parser.isSet(settingsFile)
                    ? std::make_unique<QSettings>(parser.value(settingsFile), QSettings::IniFormat)
                    : std::make_unique<QSettings>();

    gyrus::gpu::configureThreads();
    gyrus::gpu::TorchEngineClient engine;
    gyrus::app::MainWindow window(settings.get(), &logModel, &engine);
    if (parser.isSet(llmEndpoint)) {  // remembered, as if chosen in the settings dialog
        gyrus::ExplainerSettings explainer = gyrus::loadExplainerSettings(*settings);
        explainer.endpoint = parser.value(llmEndpoint);
        explainer.model = parser.value(llmModel);
        gyrus::saveExplainerSettings(*settings, explainer);
    }
    window.setExplainerFactory(
            [&engine](const gyrus::ExplainerSettings &explainer, QString *problem) {
                return makeExplainer(explainer, &engine, problem);
            });
    window.modelPanel()->setDevices(gyrus::gpu::TorchEngineClient::availableDevices());
    if (!window.modelPanel()->setCurrentDevice(parser.value(device))) {
        std::fprintf(stderr, "gyrus: device %s is not available (have: %s)\n",
                     qPrintable(parser.value(device)),
                     qPrintable(gyrus::gpu::TorchEngineClient::availableDevices().join(
                             QStringLiteral(", "))));
        return 2;
    }
    if (parser.isSet(resetLayout) || !window.restoreLayout()) {
        window.fitToScreen();  // the first start (or a reset) uses the whole screen
    }
    window.show();
    logRuntime();

    QWidget *pictured = &window;
    if (parser.isSet(raiseDock)) {
        QDockWidget *dock = window.dock(parser.value(raiseDock));
        if (!dock) {
            std::fprintf(stderr, "gyrus: no dock named %s\n", qPrintable(parser.value(raiseDock)));
            return 2;
        }
        // After the default layout has raised its own tabs.
        QTimer::singleShot(50, dock, [dock] { dock->raise(); });
        if (parser.isSet(dockOnly)) {
            // A dense dock (two matrices side by side) reads better at a size of its own.
            dock->setFloating(true);
            dock->resize(1280, 800);
            dock->show();
            pictured = dock;
        }
    }

    int selectedFeature = -1;
    if (parser.isSet(selectFeature)) {
        bool ok = false;
        selectedFeature = parser.value(selectFeature).toInt(&ok);
        if (!ok || selectedFeature < 0) {
            std::fprintf(stderr, "gyrus: --select-feature takes a feature number, not %s\n",
                         qPrintable(parser.value(selectFeature)));
            return 2;
        }
        window.selection()->selectFeature(selectedFeature, QStringLiteral("command line"));
    }
    if (parser.isSet(scanTokens)) {
        bool ok = false;
        const qint64 tokens = parser.value(scanTokens).toLongLong(&ok);
        if (!ok || tokens < 0) {
            std::fprintf(stderr, "gyrus: --scan-tokens takes a token count, not %s\n",
                         qPrintable(parser.value(scanTokens)));
            return 2;
        }
        window.featureInspector()->setAutoScanTokens(tokens);
    }
    if (parser.isSet(promptSet)) {
        if (const gyrus::Status opened =
                    window.promptSetsPanel()->openFile(parser.value(promptSet));
            !opened.isOk()) {
            std::fprintf(stderr, "gyrus: %s\n", qPrintable(opened.message()));
            return 2;
        }
    }
    if (parser.isSet(contrast) &&
        !gyrus::app::startContrastAtStartup(&window, &engine, parser.value(contrast),
                                            parser.value(screenshot), parser.value(exportReport))) {
        std::fprintf(stderr, "gyrus: --contrast takes contrast, rsa-map, methods or judged\n");
        return 2;
    }
    if (parser.isSet(attributionText) &&
        !gyrus::app::startAttributionAtStartup(&window, &engine, parser.value(attributionText),
                                               parser.value(attributionTab), pictured,
                                               parser.value(screenshot))) {
        std::fprintf(stderr, "gyrus: --attribution-tab takes attribution, lens or attention\n");
        return 2;
    }
    if (parser.isSet(studyView) &&
        !gyrus::app::startStudyViewAtStartup(&window, &engine, parser.value(studyView),
                                             parser.value(studyText), pictured,
                                             parser.value(screenshot))) {
        std::fprintf(stderr, "gyrus: --study-view takes patching, search or concept-sweep\n");
        return 2;
    }
    // A workspace brings its own model; so does unsaved work restored after a crash.
    bool workspaceOpened = false;
    if (!parser.isSet(noRecovery) && !parser.isSet(screenshot)) {
        gyrus::app::WorkspaceController *workspaces = window.workspaceController();
        if (workspaces->setRecoveryFile(gyrus::app::WorkspaceController::defaultRecoveryFile())) {
            workspaceOpened = workspaces->offerRecovery();
        }
    }
    if (!workspaceOpened && !parser.positionalArguments().isEmpty()) {
        workspaceOpened =
                window.workspaceController()->openWorkspace(parser.positionalArguments().first());
    }

    QString modelDir = parser.value(model);
    if (modelDir.isEmpty() && !parser.isSet(noModel) && !workspaceOpened) {
        modelDir = gyrus::app::bundledDemoModel();
        reportMissingDemoAssets(&window);
    }
    if (!modelDir.isEmpty()) {
        // The start-up model and SAE, and what the docks set up around them (hooks, the SAE's
        // features), are where a new workspace begins, not unsaved changes.
        auto *startup = new QObject(&window);
        QObject::connect(&engine, &gyrus::EngineClient::idle, startup, [&window, startup] {
            window.workspace()->acceptCurrentState(window.workspace()->sectionNames());
            startup->deleteLater();
        });
        if (!workspaceOpened && selectedFeature < 0) {
            // A first start shows a feature in the Features dock (the demo ships its scan); that
            // selection is where the new workspace begins too.
            gyrus::widgets::FeatureInspectorPanel *inspector = window.featureInspector();
            inspector->setOpenFeatureWhenScanned(true);
            QObject::connect(
                    inspector, &gyrus::widgets::FeatureInspectorPanel::featureOpenedFromScan,
                    &window, [&window] {
                        QTimer::singleShot(0, &window, [&window] {
                            window.workspace()->acceptCurrentState({QStringLiteral("selection")});
                        });
                    });
        }
        window.modelPanel()->loadModel(modelDir);
        // With the demo model comes the demo SAE, so the feature views work on first start.
        const QString saeDir = parser.isSet(sae)     ? parser.value(sae)
                               : parser.isSet(model) ? QString()
                                                     : gyrus::app::bundledDemoSae();
        if (!saeDir.isEmpty()) {
            window.modelPanel()->saePicker()->loadSae(saeDir);
        }
    }
    for (const QString &entry : parser.values(clamp)) {
        const std::optional<gyrus::FeatureClamp> edit = gyrus::parseFeatureValue(entry);
        if (!edit) {
            std::fprintf(stderr, "gyrus: --clamp takes FEATURE=VALUE, got %s\n", qPrintable(entry));
            return 2;
        }
        window.selection()->addClamp(*edit);
    }
    if (parser.isSet(rsa) && window.rsaPanel()) {
        // Queued behind the model and SAE loads, so the screenshot waits for the result too.
        gyrus::widgets::RsaPanel *panel = window.rsaPanel();
        const QStringList rsaSettings = parser.value(rsa).split(QLatin1Char(','));
        for (const QString &setting : rsaSettings) {
            const QString key = setting.section(QLatin1Char('='), 0, 0);
            const QString value = setting.section(QLatin1Char('='), 1);
            if (key == QLatin1String("sae")) {
                panel->representationBox()->setCurrentIndex(1);
            } else if (key == QLatin1String("intervention")) {
                panel->interventionBox()->setChecked(true);
            } else if (key == QLatin1String("metric") || key == QLatin1String("pooling")) {
                QComboBox *box =
                        key == QLatin1String("metric") ? panel->metricBox() : panel->poolingBox();
                box->setCurrentIndex(box->findData(value));
            } else if (key == QLatin1String("mds")) {
                panel->showView(QStringLiteral("mds"));
            }
        }
        if (rsaSettings.contains(QStringLiteral("intervention"))) {
            panel->showView(QStringLiteral("intervention"));
        }
        panel->compute();
    }
    if (selectedFeature >= 0) {
        // Again: a --clamp above makes the Steering dock select the clamped feature.
        window.selection()->selectFeature(selectedFeature, QStringLiteral("command line"));
    }
    gyrus::widgets::TokenHeatmapPanel *heatmap = window.tokenHeatmapPanel();
    const bool analyseAtStart = parser.isSet(heatmapText) && heatmap;
    if (analyseAtStart) {
        // Once, after the first SAE is loaded (the model is loaded before it).
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = QObject::connect(&engine, &gyrus::EngineClient::saeLoaded, heatmap,
                                       [heatmap, connection, text = parser.value(heatmapText)] {
                                           QObject::disconnect(*connection);
                                           heatmap->analyzeText(text);
                                       });
    }
    gyrus::widgets::SteeringPanel *steering = window.steeringPanel();
    const bool steerAtStart = parser.isSet(steeringExample) && steering;
    if (steerAtStart) {
        // Once, after the first SAE is loaded (the model is loaded before it).
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = QObject::connect(&engine, &gyrus::EngineClient::saeLoaded, steering,
                                       [steering, connection] {
                                           QObject::disconnect(*connection);
                                           steering->runExample();
                                       });
    }
    if (parser.isSet(screenshot) && analyseAtStart) {
        // Shoot the heatmap itself, not the moment the SAE finished loading.
        auto shot = std::make_shared<bool>(false);
        auto shootOnce = [&window, shot, path = parser.value(screenshot)] {
            if (!*shot) {
                *shot = true;
                gyrus::app::scheduleScreenshotAndQuit(&window, path);
            }
        };
        QObject::connect(heatmap, &gyrus::widgets::TokenHeatmapPanel::analysisShown, &window,
                         shootOnce);
        QTimer::singleShot(120000, &window, shootOnce);  // never hang on a failed analysis
    } else if (parser.isSet(screenshot) && steerAtStart) {
        // Shoot the finished run (both columns, the diff, the next-token table and the sweep).
        auto shot = std::make_shared<bool>(false);
        QObject::connect(steering, &gyrus::widgets::SteeringPanel::runFinished, &window,
                         [&window, shot, path = parser.value(screenshot)] {
                             if (!*shot) {
                                 *shot = true;
                                 gyrus::app::scheduleScreenshotAndQuit(&window, path, 800);
                             }
                         });
    } else if (parser.isSet(screenshot) && selectedFeature >= 0 && !modelDir.isEmpty()) {
        // Shoot once the Features dock shows the feature (after a scan, when one runs).
        auto shot = std::make_shared<bool>(false);
        auto shootOnce = [&window, shot, path = parser.value(screenshot)] {
            if (!*shot) {
                *shot = true;
                gyrus::app::scheduleScreenshotAndQuit(&window, path);
            }
        };
        QObject::connect(window.featureInspector(),
                         &gyrus::widgets::FeatureInspectorPanel::detailsShown, &window, shootOnce);
        QTimer::singleShot(300000, &window, shootOnce);  // never hang on a failed scan
    } else if (parser.isSet(screenshot) && !parser.isSet(contrast) &&
               !parser.isSet(attributionText) && !parser.isSet(studyView)) {
        if (modelDir.isEmpty() && !workspaceOpened) {
            gyrus::app::scheduleScreenshotAndQuit(pictured, parser.value(screenshot));
        } else {
            // Shoot once the model is loaded, so the picture shows its card.
            gyrus::app::scheduleScreenshotWhenIdle(pictured, &engine, parser.value(screenshot));
        }
    }
    if (parser.isSet(about)) {
        // After the window's first paint, so the box is centred over it.
        QTimer::singleShot(0, &window, [&window] { window.showAbout(); });
    }
    return QApplication::exec();
}
