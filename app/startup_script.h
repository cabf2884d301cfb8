#pragma once
// The start-up options that script the window for screenshots, demos and tests (--screenshot,
// --raise-dock, --select-feature, --prompt-set, --clamp, --rsa, --contrast, --heatmap-text,
// --steering-example, --attribution-text, --attribution-sae, --study-view, --about, ...): declared,
// checked and run here, so that main() only boots the application (settings, engine, window,
// workspace, start-up model).

#include <QCommandLineOption>
#include <QCommandLineParser>

class QWidget;

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

class MainWindow;

class StartupScript
{
public:
    /// Declares the options on `parser`; read them after parser.process().
    explicit StartupScript(QCommandLineParser &parser);

    /// Before the workspace and the start-up model load: the dock to raise (or picture alone),
    /// the selected feature, the corpus scan size, the prompt set, the Contrasts and Attribution
    /// runs and the study views. False, with one line on stderr, when an option's value is wrong
    /// (exit with 2).
    bool prepare(MainWindow *window, EngineClient *engine);

    /// After the start-up loads were asked for (`modelLoading`: a model is loading;
    /// `workspaceOpened`): the clamps, the RSA dock's computation, the heatmap and steering runs,
    /// then the screenshot and the About box. False as prepare().
    bool finish(MainWindow *window, EngineClient *engine, bool modelLoading, bool workspaceOpened);

    /// --screenshot was given (no crash recovery then).
    bool takesScreenshot() const;

    /// --select-feature was given (the first start then opens no feature of its own).
    bool selectsFeature() const { return m_selectedFeature >= 0; }

private:
    bool applyRsaSettings(MainWindow *window) const;
    void scheduleScreenshot(MainWindow *window, EngineClient *engine, bool analyseAtStart,
                            bool steerAtStart, bool modelLoading, bool workspaceOpened) const;

    QCommandLineParser &m_parser;
    QCommandLineOption m_screenshot;
    QCommandLineOption m_raiseDock;
    QCommandLineOption m_dockOnly;
    QCommandLineOption m_heatmapText;
    QCommandLineOption m_selectFeature;
    QCommandLineOption m_scanTokens;
    QCommandLineOption m_steeringExample;
    QCommandLineOption m_promptSet;
    QCommandLineOption m_clamp;
    QCommandLineOption m_rsa;
    QCommandLineOption m_contrast;
    QCommandLineOption m_attributionText;
    QCommandLineOption m_attributionTab;
    QCommandLineOption m_attributionSae;
    QCommandLineOption m_studyView;
    QCommandLineOption m_studyText;
    QCommandLineOption m_exportReport;
    QCommandLineOption m_about;
    QWidget *m_pictured = nullptr;
    int m_selectedFeature = -1;
};

}  // namespace gyrus::app
