#include "app/main_window.h"

#include "app/analysis_sections.h"
#include "app/demo_assets.h"
#include "app/dock_catalog.h"
#include "app/study_report_export.h"
#include "app/workspace_controller.h"
#include "app/workspace_sections.h"
#include "core/base/log_model.h"
#include "core/base/logging.h"
#include "core/base/version.h"
#include "core/engine/engine_client.h"
#include "core/llm/chat_backend.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "core/session/workspace.h"
#include "core/session/workspace_selection.h"
#include "widgets/common/empty_state.h"
#include "widgets/common/icons.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/panels/sae_training_panel.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/llm_endpoint_dialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include <algorithm>

namespace gyrus::app {

namespace {
// Bump when the dock set changes incompatibly, so an old saved state is ignored, not misapplied.
constexpr int kLayoutVersion = 3;  // 2: the Contrasts dock; 3: the Attribution dock
const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kRecentModelsKey = QStringLiteral("models/recent");
const QString kScanDirectoryKey = QStringLiteral("corpusScans/directory");
}  // namespace

MainWindow::MainWindow(QSettings *settings, LogModel *logModel, EngineClient *engine,
                       QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_engineStatus(new QLabel(this))
    , m_engine(engine)
    , m_selection(new SelectionHub(this))
    , m_session(new SessionState(this))
    , m_workspace(new Workspace(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(widgets::applicationIcon());
    setDockNestingEnabled(true);
    setDockOptions(AnimatedDocks | AllowNestedDocks | AllowTabbedDocks | GroupedDragging);
    // The left column (model, prompt sets) runs the full height; the log sits under the rest.
    setCorner(Qt::TopLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    resize(1400, 900);

    createDocks(logModel);
    m_workspaceController = new WorkspaceController(this, m_workspace, m_settings);
    createMenus();
    resetLayout();
    m_defaultState = saveState(kLayoutVersion);

    m_engineStatus->setText(tr("Engine: idle"));
    statusBar()->addPermanentWidget(m_engineStatus);
    statusBar()->showMessage(tr("Ready"));
    connectEngine();
    registerWorkspaceSections();
}

void MainWindow::registerWorkspaceSections()
{
    // Restored in this order; the model and SAE sections start engine loads and go last.
    m_workspace->addSection(makeSelectionSection(m_selection));
    connect(m_selection, &SelectionHub::featureSelected, m_workspace, &Workspace::noteChanged);
    connect(m_selection, &SelectionHub::clampSetChanged, m_workspace, &Workspace::noteChanged);
    connect(m_selection, &SelectionHub::annotationChanged, m_workspace, &Workspace::noteChanged);
    if (m_promptSetsPanel) {
        m_workspace->addSection(makePromptSetsSection(m_promptSetsPanel));
        connect(m_promptSetsPanel, &widgets::PromptSetsPanel::promptSetChanged, m_workspace,
                &Workspace::noteChanged);
        connect(m_promptSetsPanel, &widgets::PromptSetsPanel::modifiedChanged, m_workspace,
                &Workspace::noteChanged);
    }
    // Results and their settings, restored after the prompt set their items come from.
    if (m_contrastPanel) {
        m_workspace->addSection(makeContrastsSection(m_contrastPanel));
        connect(m_contrastPanel, &widgets::ContrastPanel::resultShown, m_workspace,
                &Workspace::noteChanged);
        connect(m_contrastPanel, &widgets::ContrastPanel::requestChanged, m_workspace,
                &Workspace::noteChanged);
    }
    if (m_tokenHeatmapPanel) {
        m_workspace->addSection(makeHeatmapSection(m_tokenHeatmapPanel));
        connect(m_tokenHeatmapPanel, &widgets::TokenHeatmapPanel::stateChanged, m_workspace,
                &Workspace::noteChanged);
    }
    if (m_steeringPanel) {
        m_workspace->addSection(makeSteeringSection(m_steeringPanel));
        connect(m_steeringPanel, &widgets::SteeringPanel::runFinished, m_workspace,
                &Workspace::noteChanged);
    }
    if (m_attributionPanel) {
        m_workspace->addSection(makeAttributionSection(m_attributionPanel));
        connect(m_attributionPanel, &widgets::AttributionPanel::stateChanged, m_workspace,
                &Workspace::noteChanged);
    }
    if (m_rsaPanel) {
        m_workspace->addSection(makeRsaSection(m_rsaPanel));
        connect(m_rsaPanel, &widgets::RsaPanel::stateChanged, m_workspace, &Workspace::noteChanged);
    }
    if (m_saeTrainingPanel) {
        m_workspace->addSection(makeSaeTrainingSection(m_saeTrainingPanel));
        connect(m_saeTrainingPanel, &widgets::SaeTrainingPanel::stateChanged, m_workspace,
                &Workspace::noteChanged);
    }
    if (m_engine && m_modelPanel) {
        m_workspace->addSection(makeModelSection(m_engine, m_modelPanel));
        m_workspace->addSection(makeSaeSection(m_engine, m_modelPanel));
        connect(m_session, &SessionState::modelChanged, m_workspace, &Workspace::noteChanged);
        connect(m_session, &SessionState::saeChanged, m_workspace, &Workspace::noteChanged);
    }
}

void MainWindow::connectEngine()
{
    if (!m_engine) {
        return;
    }
    // "Engine: busy — load model" while work runs, so a slow job is never a mystery.
    connect(m_engine, &EngineClient::started, this, [this](RequestId, const QString &what) {
        m_engineStatus->setText(tr("Engine: %1 …").arg(what));
    });
    connect(m_engine, &EngineClient::idle, this,
            [this] { m_engineStatus->setText(tr("Engine: idle")); });
    connect(m_engine, &EngineClient::finished, this, [](RequestId id, const Status &status) {
        if (!status.isOk() && status.code() != Status::Code::Cancelled) {
            qCWarning(lcEngine).noquote()
                    << QStringLiteral("request %1 failed: %2").arg(id).arg(status.message());
        }
    });
    m_session->follow(m_engine);
    if (m_featureInspector && m_settings) {
        m_featureInspector->setScanDirectory(m_settings->value(kScanDirectoryKey).toString());
        connect(m_featureInspector, &widgets::FeatureInspectorPanel::scanDirectoryChanged, this,
                [this](const QString &directory) {
                    m_settings->setValue(kScanDirectoryKey, directory);
                });
    }
    if (m_modelPanel && m_settings) {
        m_modelPanel->setRecentModels(m_settings->value(kRecentModelsKey).toStringList());
        connect(m_modelPanel, &widgets::ModelPanel::recentModelsChanged, this,
                [this](const QStringList &paths) {
                    m_settings->setValue(kRecentModelsKey, paths);
                });
    }
}

MainWindow::~MainWindow() = default;

QDockWidget *MainWindow::dock(const QString &objectName) const
{
    return m_docks.value(objectName, nullptr);
}

QWidget *MainWindow::dockContent(const QString &objectName) const
{
    const QDockWidget *d = dock(objectName);
    const auto *scroll = d ? qobject_cast<const QScrollArea *>(d->widget()) : nullptr;
    return scroll ? scroll->widget() : nullptr;
}

QList<QDockWidget *> MainWindow::docks() const
{
    QList<QDockWidget *> ordered;
    for (const DockSpec &spec : dockCatalog()) {
        ordered.append(m_docks.value(spec.objectName));
    }
    return ordered;
}

template <typename Panel>
Panel *MainWindow::panelIn(const QString &objectName) const
{
    return qobject_cast<Panel *>(dockContent(objectName));
}

void MainWindow::createDocks(LogModel *logModel)
{
    const DockContext context{m_engine, m_selection, m_session, logModel};
    for (const DockSpec &spec : dockCatalog()) {
        auto *dockWidget = new QDockWidget(spec.title, this);
        dockWidget->setObjectName(spec.objectName);
        QWidget *content = spec.createPanel ? spec.createPanel(context, dockWidget) : nullptr;
        if (!content) {
            content = new widgets::EmptyState(spec.title, spec.emptyExplanation, dockWidget);
        }
        content->setObjectName(spec.objectName + QStringLiteral(".content"));
        // Every dock scrolls rather than insists on its content's minimum size, so any dock
        // can be made small in both directions and the window fits a 1366×768 screen.
        auto *scroll = new QScrollArea(dockWidget);
        scroll->setObjectName(spec.objectName + QStringLiteral(".scroll"));
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setWidget(content);
        dockWidget->setWidget(scroll);
        dockWidget->setWindowIcon(widgets::uiIcon(spec.icon));
        dockWidget->toggleViewAction()->setIcon(widgets::uiIcon(spec.icon));
        dockWidget->toggleViewAction()->setShortcut(QKeySequence(spec.shortcut));
        m_docks.insert(spec.objectName, dockWidget);
    }
    // The panels the menus, the workspace sections and the start-up script talk to.
    m_modelPanel = panelIn<widgets::ModelPanel>(dock_id::kModel);
    m_promptSetsPanel = panelIn<widgets::PromptSetsPanel>(dock_id::kPromptSets);
    m_saeTrainingPanel = panelIn<widgets::SaeTrainingPanel>(dock_id::kSaeTraining);
    m_tokenHeatmapPanel = panelIn<widgets::TokenHeatmapPanel>(dock_id::kTokenHeatmap);
    m_featureInspector = panelIn<widgets::FeatureInspectorPanel>(dock_id::kFeatures);
    m_rsaPanel = panelIn<widgets::RsaPanel>(dock_id::kRsa);
    m_steeringPanel = panelIn<widgets::SteeringPanel>(dock_id::kSteering);
    m_contrastPanel = panelIn<widgets::ContrastPanel>(dock_id::kContrast);
    m_attributionPanel = panelIn<widgets::AttributionPanel>(dock_id::kAttribution);
}

void MainWindow::resetLayout()
{
    for (QDockWidget *d : docks()) {
        d->setFloating(false);  // before removal: a removed dock ignores it
        removeDockWidget(d);
    }
    auto place = [this](const QString &name) {
        QDockWidget *d = dock(name);
        addDockWidget(findDock(name)->area, d);
        d->show();
    };
    place(dock_id::kModel);
    place(dock_id::kPromptSets);
    place(dock_id::kTokenHeatmap);
    splitDockWidget(dock(dock_id::kTokenHeatmap), dock(dock_id::kFeatures), Qt::Horizontal);
    dock(dock_id::kFeatures)->show();
    tabifyDockWidget(dock(dock_id::kTokenHeatmap), dock(dock_id::kRsa));
    dock(dock_id::kRsa)->show();
    // Contrasts next to RSA: the two ways of asking which features carry a condition.
    tabifyDockWidget(dock(dock_id::kRsa), dock(dock_id::kContrast));
    dock(dock_id::kContrast)->show();
    tabifyDockWidget(dock(dock_id::kFeatures), dock(dock_id::kSteering));
    dock(dock_id::kSteering)->show();
    // Attribution beside the heatmap (not behind it): a feature or position clicked there shows
    // in the heatmap at once.
    tabifyDockWidget(dock(dock_id::kSteering), dock(dock_id::kAttribution));
    dock(dock_id::kAttribution)->show();
    place(dock_id::kSaeTraining);
    tabifyDockWidget(dock(dock_id::kSaeTraining), dock(dock_id::kLog));
    dock(dock_id::kLog)->show();

    // Sizes and raised tabs only take once the window has its final size.
    m_defaultSizesPending = true;
    if (isVisible()) {
        applyDefaultSizes();
    }
}

void MainWindow::applyDefaultSizes()
{
    m_defaultSizesPending = false;
    // Tabs opened on the panels a newcomer needs first.
    dock(dock_id::kTokenHeatmap)->raise();
    dock(dock_id::kFeatures)->raise();
    dock(dock_id::kLog)->raise();
    const int w = width();
    const int h = height();
    // The left column gets what the Model dock's card needs (within reason); the heatmap and its
    // tabs (RSA, Contrasts) most of the rest.
    const int modelWidth = dockContent(dock_id::kModel)->sizeHint().width() + 24;
    const int left = std::clamp(modelWidth, w * 22 / 100, w * 35 / 100);
    const int features = (w - left) * 40 / 100;
    resizeDocks({dock(dock_id::kModel), dock(dock_id::kTokenHeatmap), dock(dock_id::kFeatures)},
                {left, w - left - features, features}, Qt::Horizontal);
    // The log and SAE training share a short strip at the bottom: the analyses get the height.
    resizeDocks({dock(dock_id::kTokenHeatmap), dock(dock_id::kLog)}, {h * 76 / 100, h * 24 / 100},
                Qt::Vertical);
    // The prompt-set library and its items need more room than the model's card.
    resizeDocks({dock(dock_id::kModel), dock(dock_id::kPromptSets)}, {h * 30 / 100, h * 70 / 100},
                Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_defaultSizesPending) {
        // Queued: the layout assigns the window's real geometry after the show event.
        QTimer::singleShot(0, this, [this] {
            if (m_defaultSizesPending) {
                applyDefaultSizes();
            }
        });
    }
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menu.file"));
    m_workspaceController->addFileActions(file);
    QAction *report = file->addAction(tr("Export study &report…"), this,
                                      [this] { exportStudyReportDialog(this, m_engine); });
    report->setObjectName(QStringLiteral("action.exportStudyReport"));
    report->setToolTip(tr("One HTML file with the figures, numbers, methods and provenance"));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("menu.view"));
    for (QDockWidget *d : docks()) {
        view->addAction(d->toggleViewAction());
    }
    view->addSeparator();
    // What a first start shows: the whole screen and the default docks.
    QAction *reset = view->addAction(tr("&Reset layout"), this, [this] {
        fitToScreen();
        resetLayout();
    });
    reset->setObjectName(QStringLiteral("action.resetLayout"));

    QMenu *preferences = menuBar()->addMenu(tr("&Settings"));
    preferences->setObjectName(QStringLiteral("menu.settings"));
    QAction *endpoint = preferences->addAction(tr("&Language model endpoint…"), this,
                                               [this] { showExplainerSettings(); });
    endpoint->setObjectName(QStringLiteral("action.llmEndpoint"));
    endpoint->setToolTip(
            tr("Who explains and judges features: off, the local engine, or an "
               "OpenAI-compatible server"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About Gyrus"), this, [this] { showAbout(); });
    about->setIcon(widgets::applicationIcon());
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::setExplainerFactory(ExplainerFactory factory)
{
    m_explainerFactory = std::move(factory);
    applyExplainerSettings(loadExplainerSettings(*m_settings));
}

void MainWindow::applyExplainerSettings(const ExplainerSettings &explainer)
{
    saveExplainerSettings(*m_settings, explainer);
    if (m_featureInspector) {
        m_featureInspector->setExplainer(nullptr);
    }
    if (m_contrastPanel) {
        m_contrastPanel->setExplainer(nullptr);
    }
    m_explainer.reset();
    QString problem;
    if (m_explainerFactory && !explainer.endpoint.trimmed().isEmpty()) {
        m_explainer = m_explainerFactory(explainer, &problem);
    }
    if (m_featureInspector) {
        m_featureInspector->setExplainer(m_explainer.get());
    }
    if (m_contrastPanel) {
        m_contrastPanel->setExplainer(m_explainer.get());
    }
    if (!problem.isEmpty()) {
        qCWarning(lcUi).noquote() << "language-model endpoint:" << problem;
        setStatusMessage(tr("Language model endpoint: %1").arg(problem));
    } else if (m_explainer) {
        setStatusMessage(tr("Features are explained by %1").arg(m_explainer->describe()));
    }
}

widgets::LlmEndpointDialog *MainWindow::showExplainerSettings()
{
    auto *dialog = new widgets::LlmEndpointDialog(loadExplainerSettings(*m_settings), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { applyExplainerSettings(dialog->settings()); });
    dialog->show();
    return dialog;
}

QMessageBox *MainWindow::showAbout()
{
    auto *box = new QMessageBox(this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setWindowTitle(tr("About Gyrus"));
    box->setIconPixmap(widgets::applicationIcon().pixmap(96, 96));
    box->setTextFormat(Qt::RichText);
    const QString demoModel = bundledDemoModel();
    // An installed copy names the licences file it ships; a build-tree run has the datasets'
    // README files instead.
    const QString copyright =
            QDir::cleanPath(installedDataDirectory() + QStringLiteral("/../doc/gyrus/copyright"));
    box->setText(tr("<h3>Gyrus %1</h3><p>A workbench for interpreting language models with the "
                    "methods of cognitive neuroscience: stimulus sets, sparse autoencoders, "
                    "contrasts, RSA and feature steering.</p><p>Demo model: <tt>%2</tt><br>"
                    "Licences of Gyrus and the bundled data: <tt>%3</tt></p>")
                         .arg(versionString(),
                              demoModel.isEmpty() ? tr("not installed") : demoModel.toHtmlEscaped(),
                              QFileInfo::exists(copyright)
                                      ? copyright.toHtmlEscaped()
                                      : tr("datasets/*/README.md in the source tree")));
    box->setStandardButtons(QMessageBox::Ok);
    box->show();
    return box;
}

void MainWindow::saveLayout()
{
    if (!m_settings) {
        return;
    }
    m_settings->setValue(kGeometryKey, saveGeometry());
    m_settings->setValue(kStateKey, saveState(kLayoutVersion));
    m_settings->sync();
}

bool MainWindow::restoreLayout()
{
    if (!m_settings) {
        return false;
    }
    const QByteArray geometry = m_settings->value(kGeometryKey).toByteArray();
    const QByteArray state = m_settings->value(kStateKey).toByteArray();
    if (state.isEmpty()) {
        return false;
    }
    if (!geometry.isEmpty()) {
        restoreGeometry(geometry);
    }
    if (!restoreState(state, kLayoutVersion)) {
        qCWarning(lcUi) << "saved dock layout is from another version of Gyrus; using the default";
        restoreState(m_defaultState, kLayoutVersion);
        return false;
    }
    m_defaultSizesPending = false;
    return true;
}

void MainWindow::fitToScreen()
{
    const QScreen *screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
    if (screen) {
        setGeometry(screen->availableGeometry());
    }
    setWindowState(windowState() | Qt::WindowMaximized);
}

void MainWindow::setStatusMessage(const QString &text)
{
    statusBar()->showMessage(text);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_workspaceController->maybeSave()) {
        event->ignore();  // the user cancelled: keep working
        return;
    }
    saveLayout();
    m_workspaceController->cleanExit();
    event->accept();
}

}  // namespace gyrus::app
