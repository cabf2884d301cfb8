// The Gyrus desktop application.

#include "app/demo_assets.h"
#include "app/main_window.h"
#include "app/startup_script.h"
#include "app/workspace_controller.h"
#include "core/base/log_capture.h"
#include "core/base/log_model.h"
#include "core/base/logging.h"
#include "core/base/version.h"
#include "core/llm/chat_endpoint.h"
#include "core/llm/engine_chat_backend.h"
#include "core/llm/explainer_settings.h"
#include "core/llm/openai_chat_client.h"
#include "core/session/workspace.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/icons.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/model_panel.h"

#include <QApplication>
#include <QCommandLineParser>
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
    const QCommandLineOption noRecovery(
            QStringLiteral("no-recovery"),
            QStringLiteral("Neither autosave to the crash-recovery file nor offer to restore one "
                           "(tests; implied by --screenshot)."));
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
    parser.addOptions({resetLayout, settingsFile, model, sae, noModel, device, noRecovery,
                       llmEndpoint, llmModel});
    gyrus::app::StartupScript script(parser);
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

    if (!script.prepare(&window, &engine)) {
        return 2;
    }
    // A workspace brings its own model; so does unsaved work restored after a crash.
    bool workspaceOpened = false;
    if (!parser.isSet(noRecovery) && !script.takesScreenshot()) {
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
        if (!workspaceOpened && !script.selectsFeature()) {
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
            window.modelPanel()->loadSae(saeDir);
        }
    }
    if (!script.finish(&window, &engine, !modelDir.isEmpty(), workspaceOpened)) {
        return 2;
    }
    return QApplication::exec();
}
