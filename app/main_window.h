#pragma once

#include "core/llm/explainer_settings.h"

#include <QHash>
#include <QMainWindow>

#include <functional>
#include <memory>

class QDockWidget;
class QLabel;
class QMessageBox;
class QSettings;

namespace gyrus {
class ChatBackend;
class EngineClient;
class LogModel;
class SelectionHub;
class SessionState;
class Workspace;
}  // namespace gyrus

namespace gyrus::widgets {
class AttributionPanel;
class FeatureInspectorPanel;
class ContrastPanel;
class LlmEndpointDialog;
class ModelPanel;
class PromptSetsPanel;
class RsaPanel;
class SaeTrainingPanel;
class TokenHeatmapPanel;
class SteeringPanel;
}  // namespace gyrus::widgets

namespace gyrus::app {

class WorkspaceController;

/// The Gyrus main window: assembles the docks of dockCatalog() and the menus, and keeps the
/// layout in QSettings. Behaviour lives in the docks' own widgets and controllers, not here.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    /// `settings` stores geometry, dock layout and recent files and must outlive the window;
    /// `logModel` feeds the Log dock; `engine` runs the model. Either may be null in tests (the
    /// docks then show their empty state).
    MainWindow(QSettings *settings, gyrus::LogModel *logModel, gyrus::EngineClient *engine,
               QWidget *parent = nullptr);
    ~MainWindow() override;

    /// The dock with this objectName (see dockCatalog()), or null.
    QDockWidget *dock(const QString &objectName) const;
    QList<QDockWidget *> docks() const;
    /// The panel inside the dock with this objectName (docks hold it in a scroll area), or null.
    QWidget *dockContent(const QString &objectName) const;

    /// Puts the docks back where a new user finds them.
    void resetLayout();
    /// Writes geometry and dock state to settings (also done on close).
    void saveLayout();
    /// Restores geometry and dock state from settings; false when nothing usable was stored.
    bool restoreLayout();
    /// A first start: the window takes the screen's available area (maximised where a window
    /// manager honours it), so every dock gets the room the default layout gives it.
    void fitToScreen();

    void setStatusMessage(const QString &text);

    /// Opens the About box (not modal; it deletes itself when closed) and returns it.
    QMessageBox *showAbout();

    /// The selected feature, clamp set and feature labels every dock shares.
    gyrus::SelectionHub *selection() const { return m_selection; }

    /// What the session has open (prompt set, model, SAE) that the docks observe.
    gyrus::SessionState *session() const { return m_session; }

    /// The Model dock's panel (null without an engine).
    widgets::ModelPanel *modelPanel() const { return m_modelPanel; }

    /// The Prompt sets dock's panel.
    widgets::PromptSetsPanel *promptSetsPanel() const { return m_promptSetsPanel; }

    /// The RSA dock's panel (null without an engine).
    widgets::RsaPanel *rsaPanel() const { return m_rsaPanel; }

    /// The Contrasts dock's panel (null without an engine).
    widgets::ContrastPanel *contrastPanel() const { return m_contrastPanel; }

    /// The SAE training dock's panel (null without an engine).
    widgets::SaeTrainingPanel *saeTrainingPanel() const { return m_saeTrainingPanel; }

    /// The Token heatmap dock's panel (null without an engine).
    widgets::TokenHeatmapPanel *tokenHeatmapPanel() const { return m_tokenHeatmapPanel; }

    /// The Steering dock's panel (null without an engine).
    widgets::SteeringPanel *steeringPanel() const { return m_steeringPanel; }

    /// The Features dock's panel (null without an engine).
    widgets::FeatureInspectorPanel *featureInspector() const { return m_featureInspector; }

    /// The Attribution dock's panel (null without an engine).
    widgets::AttributionPanel *attributionPanel() const { return m_attributionPanel; }

    /// Builds the explainer/judge a setting describes (null: off); `problem` says why not when
    /// the endpoint cannot be used. main.cpp gives one that can start an engine of its own.
    using ExplainerFactory = std::function<std::unique_ptr<gyrus::ChatBackend>(
            const gyrus::ExplainerSettings &, QString *problem)>;

    /// Sets the factory and builds the explainer from the stored settings at once.
    void setExplainerFactory(ExplainerFactory factory);

    /// The Features dock's explainer now (null: none configured).
    gyrus::ChatBackend *explainer() const { return m_explainer.get(); }

    /// Settings ▸ Language model endpoint…: opens the dialog (window-modal, deleted when
    /// closed); OK stores the settings and rebuilds the explainer.
    widgets::LlmEndpointDialog *showExplainerSettings();

    /// Stores `explainer` and rebuilds the explainer from it; the status bar says what answers.
    void applyExplainerSettings(const gyrus::ExplainerSettings &explainer);

    /// The open workspace. Docks register their state as a WorkspaceSection here and call
    /// noteChanged() when it changes (core/session/workspace.h).
    gyrus::Workspace *workspace() const { return m_workspace; }

    /// File > New/Open/Save, the title's modified marker, autosave and crash recovery.
    WorkspaceController *workspaceController() const { return m_workspaceController; }

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    /// Builds each dock of dockCatalog() with its panel (or its empty state).
    void createDocks(gyrus::LogModel *logModel);
    /// The panel of type Panel in the dock `objectName`, or null (no such panel was built).
    template <typename Panel>
    Panel *panelIn(const QString &objectName) const;
    void connectEngine();
    void createMenus();
    void applyDefaultSizes();
    void registerWorkspaceSections();

    QSettings *m_settings;
    QHash<QString, QDockWidget *> m_docks;
    QByteArray m_defaultState;
    QLabel *m_engineStatus;
    gyrus::EngineClient *m_engine;
    gyrus::SelectionHub *m_selection;
    gyrus::SessionState *m_session;
    gyrus::Workspace *m_workspace;
    WorkspaceController *m_workspaceController = nullptr;
    widgets::ModelPanel *m_modelPanel = nullptr;
    widgets::PromptSetsPanel *m_promptSetsPanel = nullptr;
    widgets::SaeTrainingPanel *m_saeTrainingPanel = nullptr;
    widgets::TokenHeatmapPanel *m_tokenHeatmapPanel = nullptr;
    widgets::SteeringPanel *m_steeringPanel = nullptr;
    widgets::AttributionPanel *m_attributionPanel = nullptr;
    widgets::FeatureInspectorPanel *m_featureInspector = nullptr;
    widgets::RsaPanel *m_rsaPanel = nullptr;
    widgets::ContrastPanel *m_contrastPanel = nullptr;
    bool m_defaultSizesPending = false;
    ExplainerFactory m_explainerFactory;
    std::unique_ptr<gyrus::ChatBackend> m_explainer;
};

}  // namespace gyrus::app
