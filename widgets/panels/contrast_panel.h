#pragma once

#include "core/base/status.h"
#include "core/contrasts/contrast_requests.h"
#include "core/prompts/prompt_set.h"
#include "core/session/workspace_data.h"
#include "widgets/panels/judged_methods_tab.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <vector>

class QTabWidget;
class QToolButton;

namespace gyrus {
class ChatBackend;
class EngineClient;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class BatchExplainDialog;
class ContrastSettingsForm;
class ContrastTab;
class FeatureRsaTab;
class MethodComparisonTab;

/// The Contrasts dock: which features carry a condition, answered three
/// ways on the same stimuli — a univariate contrast per feature (volcano + table), the
/// feature-wise RSA map, and the cross-validated comparison of selection methods. The settings
/// form on top (prompt set, factor, A and B, hook, raw or SAE features, pooling) feeds all three
/// tabs. It follows the engine's loaded model and SAE, and the hub's selected feature.
class ContrastPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes (its prompt set, the model's hooks, the SAE; its
    /// results go out of date with them); null: one of its own that follows `engine`.
    ContrastPanel(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
                  QWidget *parent = nullptr);
    ~ContrastPanel() override;

    /// The dock's tabs, in their order.
    enum class Tab
    {
        Contrast,
        RsaMap,
        Methods,
        Judged,
    };

    /// The stimuli to analyse (the session's open prompt set).
    void setPromptSet(const PromptSet &set);

    /// The request the form describes (what Run in the first three tabs submits).
    ContrastSource request() const;
    /// Fills the form from `request`: factor, levels, 2 × 2 (only for a 2 × 2 set), hook (unless
    /// it reads SAE features, which are at the SAE's hook), raw or SAE features, pooling and
    /// window. Its prompt set is ignored (the dock analyses the session's); a value the prompt
    /// set or the model does not offer leaves that setting as it is.
    void setRequest(const ContrastSource &request);
    /// Empty when the form can run; otherwise what is missing, in words.
    QString problem() const;

    /// The judged comparison's settings (corpus, concept, methods, k, judge repeats, ...).
    JudgedMethodsTab::Settings judgedSettings() const;
    void setJudgedSettings(const JudgedMethodsTab::Settings &settings);

    /// Brings `tab` to the front.
    void showTab(Tab tab);
    Tab currentTab() const;
    /// Runs the tab in front on the form's request (the judged one with judgedSettings()); a
    /// request that cannot run shows why in that tab.
    void run();

    /// The first feature in the table of the tab in front (Contrast or Feature RSA map, in its
    /// current order); -1 for the other tabs or without a result.
    int topFeature() const;

    /// The Contrast tab's result (null: none yet).
    ContrastAnalysisResultPtr contrastResult() const;
    /// The Method comparison tab's result (null: none yet).
    MethodComparisonResultPtr methodComparisonResult() const;

    /// The dock's plots, as the study report pictures them.
    enum class Figure
    {
        Volcano,           ///< the Contrast tab's volcano plot
        MethodComparison,  ///< the Method comparison tab's accuracy and AUC chart
    };

    /// `figure` as a PNG of `width` × `height` points at twice that resolution.
    QByteArray figurePng(Figure figure, int width, int height) const;

    ContrastSettingsForm *form() const { return m_form; }

    QTabWidget *tabs() const { return m_tabs; }

    ContrastTab *contrastView() const { return m_contrast; }

    FeatureRsaTab *rsaView() const { return m_rsa; }

    MethodComparisonTab *methodsView() const { return m_methods; }

    /// "Judged relevance": the LLM-judged comparison of the methods (gyrus-cli judge-methods).
    JudgedMethodsTab *judgedView() const { return m_judged; }

    /// The form's settings and the three tabs' results: their numbers into `data` (HDF5
    /// datasets in the workspace file), the rest as JSON, with what each was computed from.
    QJsonObject workspaceState(WorkspaceData *data) const;
    /// Shows the saved results again without computing anything; a result whose inputs no
    /// longer match says it is out of date. Call after the prompt set was restored.
    Status restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                 QStringList *warnings);
    /// No results (a new workspace).
    void clearResults();

    /// The language model that explains features (null: none configured; Explain is off).
    void setExplainer(ChatBackend *backend);

    /// The first `n` features of the Contrast tab's table, in its current order (SAE features).
    std::vector<int> contrastTopFeatures(int n) const;
    /// The features the Method comparison tab's chosen method (the numbers table's current row,
    /// or the first) selects on all items.
    std::vector<int> methodFeatures(QString *method = nullptr) const;

    /// Opens the batch explainer on `features` (not modal; deleted when closed) and starts it;
    /// null when no explainer is configured or there is nothing to explain.
    BatchExplainDialog *explainFeatures(const std::vector<int> &features, const QString &what);

    QToolButton *explainButton() const { return m_explain; }

Q_SIGNALS:
    /// A tab has put a new result on screen.
    void resultShown();
    /// A setting of the form changed (results on screen may no longer match it).
    void requestChanged();
    /// A judged comparison ended without a result (its judge's requests are not the engine's,
    /// so EngineClient::finished does not tell).
    void judgedRunFailed(const gyrus::Status &status);

private:
    QPointer<SessionState> m_session;  // first: the tabs observe it
    ContrastSettingsForm *m_form;
    QTabWidget *m_tabs;
    ContrastTab *m_contrast;
    FeatureRsaTab *m_rsa;
    MethodComparisonTab *m_methods;
    JudgedMethodsTab *m_judged;
    EngineClient *m_engine;
    SelectionHub *m_hub;
    QPointer<ChatBackend> m_explainer;
    QToolButton *m_explain;
};

}  // namespace gyrus::widgets
