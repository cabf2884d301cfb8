#pragma once

#include "core/engine/engine_client.h"
#include "core/features/attribution_types.h"
#include "core/prompts/prompt_set.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QToolButton;

namespace gyrus {
class RequestTracker;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class AttentionHeadGrid;
class AttributionSaeList;
class ColourLegend;
class FeatureMatrixView;
class LogitLensGrid;
class ActivationPatchingTab;

/// The Attribution dock: why the model said what it said, on one prompt.
/// - Attribution: a target (a token's log-probability, or the logit difference of two tokens)
///   at a position (the last by default) attributed to every active SAE feature at every
///   position (activation × gradient): a feature × position matrix in the heatmap's style
///   (diverging: red raises the target), the ranked list, and the SAE's error and decoder bias
///   per position beside the features with the sum check (features + error + bias = gradient ×
///   input). Clicking a feature selects it everywhere; "Verify" ablates the top features one at
///   a time and shows the real change beside the linear estimate.
/// - Logit lens: every layer's prediction at every position (LogitLensGrid).
/// - Attention: the heads of a layer and one head enlarged (AttentionHeadGrid).
/// - Patching: activation patching across the open prompt set's minimal pairs
/// (ActivationPatchingTab). Each tab asks the engine when it is run or first shown for a new
/// prompt; the requests run off the GUI thread with progress and Cancel.
class AttributionPanel : public QWidget
{
    Q_OBJECT
public:
    enum Tab
    {
        AttributionTab,
        LogitLensTab,
        AttentionTab,
        PatchingTab,
    };

    /// `session` is what the dock observes (model and SAE loads, the open prompt set); null:
    /// one of its own that follows `engine`.
    AttributionPanel(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
                     QWidget *parent = nullptr);
    ~AttributionPanel() override;

    /// Puts `text` in the prompt box and runs the shown tab's analysis on it.
    void analyzeText(const QString &text);
    /// Puts `text` in the prompt box (runs nothing).
    void setPrompt(const QString &text);
    /// The SAEs at other hooks attributed beside the loaded one (the "Other layers" list).
    void setExtraSaes(const QStringList &paths);
    /// Runs the shown tab's analysis on the prompt box's text (the other tabs follow when shown).
    void run();
    /// Runs all three analyses on the prompt box's text.
    void runAll();
    /// Ablates the top `verifyCount()` features of the shown attribution one at a time.
    void verify();
    void cancel();

    void showTab(Tab tab);

    ActivationPatchingTab *patchingView() const { return m_patching; }

    /// The prompt, target, minus token, position, verification count, shown tab and the
    /// Patching tab's settings, for the workspace (results are recomputed, not stored).
    QJsonObject workspaceState() const;
    Status restoreWorkspaceState(const QJsonObject &state);
    void resetState();

    AttributionOutcomePtr attribution() const { return m_attribution; }

    const std::vector<AblationCheck> &checks() const { return m_checks; }

    LogitLensOutcomePtr logitLens() const;
    AttentionOutcomePtr attention() const;

    QPlainTextEdit *promptEdit() const { return m_prompt; }

    QLineEdit *targetEdit() const { return m_target; }

    QLineEdit *versusEdit() const { return m_versus; }

    /// -1 ("last") or a position.
    QSpinBox *positionBox() const { return m_position; }

    QSpinBox *verifyCountBox() const { return m_verifyCount; }

    /// Where the tables keep each number at full precision (the text shows 4 digits).
    static constexpr int kNumberRole = Qt::UserRole + 1;

    /// The ranked list: feature, position, token, activation, gradient, attribution, estimated
    /// and actual change, layer (numbers in kNumberRole; the feature's number in Qt::UserRole).
    /// Every SAE's features in one ranking; the layer column shows once extra SAEs are added.
    QStandardItemModel *featureModel() const { return m_features; }

    QTableView *featureTable() const { return m_featureTable; }

    /// The SAEs at other hooks attributed beside the loaded one (the "Other layers" list).
    AttributionSaeList *extraSaeList() const { return m_extraSaes; }

    /// Whose features the matrix and the node table show: 0 the loaded SAE, i + 1 the i-th
    /// extra one.
    QComboBox *layerBox() const { return m_layer; }

    int shownSae() const { return m_shownSae; }

    /// The result the matrix and the node table show (null before an attribution).
    const AttributionResult *shownResult() const;

    /// Per position: position, token, Σ features, error, bias, total (gradient × input).
    QStandardItemModel *nodeModel() const { return m_nodes; }

    FeatureMatrixView *matrixView() const { return m_matrix; }

    LogitLensGrid *lensGrid() const { return m_lens; }

    AttentionHeadGrid *attentionGrid() const { return m_attention; }

    /// The sum check line under the target.
    QString summaryText() const;
    QString statusText() const;
    bool isRunning() const;

    /// At most this many (position, feature) rows are listed (the export has them all).
    static constexpr int kListedFeatures = 200;

Q_SIGNALS:
    void attributionShown();
    void verificationShown();
    void logitLensShown();
    void attentionShown();
    /// The Patching tab has put a new result on screen.
    void patchingShown();
    /// A setting the workspace keeps was edited.
    void stateChanged();

private:
    enum Slot
    {
        AttributeSlot,
        VerifySlot,
        LensSlot,
        AttentionSlot,
    };

    void buildUi();
    QWidget *buildAttributionTab();
    void connectEngine();
    void runTab(int tab);
    void requestAttention(const QString &prompt, int layer);
    void showAttribution(const AttributionOutcomePtr &outcome);
    void showSae(int index);
    void showCheck(const AblationCheck &check);
    void showVerificationSummary();
    void selectFeature(int feature, int position);
    /// The hub's tokenPicked: the token heatmap shows this position of the attributed prompt.
    void pickToken(int position);
    void followSelection(int feature);
    void onFinished(const Status &status, const QString &what);
    void updateControls();
    void setStatus(const QString &text, bool error = false);
    QString featureText(int feature) const;

    EngineClient *m_engine;
    QPointer<SelectionHub> m_hub;
    QPointer<SessionState> m_session;
    RequestTracker *m_requests = nullptr;
    AttributionOutcomePtr m_attribution;
    std::vector<AblationCheck> m_checks;
    QString m_ranPrompt[3];  // the prompt each tab's result (or running request) is of
    QString m_attributedPrompt;

    QPlainTextEdit *m_prompt;
    QPushButton *m_runButton;
    QPushButton *m_cancelButton;
    QProgressBar *m_progress;
    QTabWidget *m_tabs;
    QLineEdit *m_target;
    QLineEdit *m_versus;
    QSpinBox *m_position;
    AttributionSaeList *m_extraSaes;
    QComboBox *m_layer;
    int m_shownSae = 0;
    QLabel *m_summary;
    FeatureMatrixView *m_matrix;
    ColourLegend *m_matrixLegend;
    QStandardItemModel *m_features;
    QTableView *m_featureTable;
    QStandardItemModel *m_nodes;
    QTableView *m_nodeTable;
    QSpinBox *m_verifyCount;
    QPushButton *m_verifyButton;
    QLabel *m_verifySummary;
    LogitLensGrid *m_lens;
    ColourLegend *m_lensLegend;
    AttentionHeadGrid *m_attention;
    ActivationPatchingTab *m_patching;
    QToolButton *m_export;
    QLabel *m_status;
};

}  // namespace gyrus::widgets
