#pragma once

#include "core/engine/engine_client.h"
#include "core/features/token_analysis_types.h"
#include "core/prompts/prompt_set.h"
#include "core/session/workspace_data.h"
#include "widgets/views/token_strip_view.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace gyrus {
class RequestTracker;
class SelectionHub;
class SessionState;
class TokenFeatureModel;
}  // namespace gyrus

namespace gyrus::widgets {

class ColourLegend;
class EmptyState;
class FeatureMatrixView;
class UserVisibleWork;

/// The Token heatmap dock: a typed prompt, or every item of the open prompt set one
/// per row, with each token coloured by the selected SAE feature's activation (or a hook
/// dimension); hover for a token's top features; a feature × token matrix of the text's top
/// features; the selected token's features in a table. The selected feature is the
/// SelectionHub's: clicking a feature here selects it everywhere, and a selection made
/// elsewhere recolours the tokens. Shift+click (or "Clamp feature") adds a feature to the clamp
/// set at its largest activation in the current text.
class TokenHeatmapPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes: the loaded model and SAE, and the open prompt set
    /// that "Prompt set" mode analyses; null: one of its own that follows `engine`.
    TokenHeatmapPanel(EngineClient *engine, SelectionHub *hub, SessionState *session,
                      QWidget *parent = nullptr);
    ~TokenHeatmapPanel() override;

    /// Shows `text` in the prompt box and analyses it (typed-text mode).
    void analyzeText(const QString &text);

    /// Analyses every item of the prompt set (prompt-set mode).
    void analyzePromptSet(const PromptSet &set);

    /// Switches to prompt-set mode and analyses the set the Prompt sets dock has open.
    void analyzeCurrentPromptSet();

    /// Analyses what the controls say (the typed text, or the current prompt set).
    void analyze();

    /// Colours tokens by an SAE feature (the hub's selection) or by a hook dimension.
    void setHookDimensionMode(bool hookDimension, int dimension = 0);

    /// Selects a token: the matrix shows its text, the table lists its features.
    void selectToken(TokenRef ref);

    TokenAnalysisPtr analysis() const { return m_analysis; }

    TokenStripView *stripView() const { return m_strip; }

    FeatureMatrixView *matrixView() const { return m_matrix; }

    TokenFeatureModel *tokenFeatures() const { return m_tokenFeatures; }

    QTableView *tokenFeatureTable() const { return m_table; }

    ColourLegend *legend() const { return m_legend; }

    /// The current text (row) the matrix shows.
    int currentText() const { return m_currentText; }

    /// The status line (counts, errors).
    QString statusText() const;

    /// True while the empty state is shown instead of the views.
    bool isShowingEmptyState() const;

    QString emptyStateText() const;

    /// The hover tooltip of a token (HTML).
    QString toolTipFor(TokenRef ref) const;

    /// What a workspace keeps of the dock: the typed text and whether the dock analyses it or
    /// the prompt set ({"text", "source": "typed" | "prompt set"}), and the analysis shown (its
    /// tokens and activations as arrays in `data`, core/features/token_analysis_archive.h; the SAE
    /// it was computed with and an id in the JSON).
    QJsonObject workspaceState(WorkspaceData *data = nullptr) const;
    /// Shows the saved analysis without asking the engine; it stays when the SAE it was computed
    /// with loads again and goes when another SAE loads. A damaged analysis is left out with a
    /// warning (the text is restored).
    void restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data = {},
                               QStringList *warnings = nullptr);

Q_SIGNALS:
    /// A new analysis is shown.
    void analysisShown();
    /// The typed text or the source mode changed (workspaceState() differs).
    void stateChanged();

private:
    void buildUi();
    void connectSignals();
    void submit(const QStringList &texts, const QStringList &rowLabels);
    void showAnalysis(const TokenAnalysisPtr &analysis);
    void followFeature(int feature);
    void selectFeature(int feature);
    void showPickedToken();
    void clampFeature(int feature, int text);
    void updateLegend();
    void fitStripToText();
    void updateMatrixTitle();
    void updatePlaceholder();
    void selectPeakToken();
    void updateFeatureLabel();
    void updateEmptyState();
    void setStatus(const QString &text, bool error = false);

    EngineClient *m_engine;
    QPointer<SelectionHub> m_hub;
    QPointer<SessionState> m_session;
    UserVisibleWork *m_pickedTokenWork = nullptr;  // the hub's tokenPicked, when the dock shows
    QString m_pickedText;
    int m_pickedPosition = -1;
    PromptSet m_promptSet;
    RequestTracker *m_requests = nullptr;  // one slot: the latest analysis (none without an engine)
    QStringList m_pendingTexts;
    QStringList m_pendingLabels;
    QStringList m_analysedTexts;  // what m_analysis is of, to re-ask with hook vectors
    QStringList m_analysedLabels;
    TokenAnalysisPtr m_analysis;
    QString m_analysisSaePath;  // the SAE m_analysis was computed with
    QString m_analysisId;       // changes with every new analysis (the workspace's dirty check)
    QToolButton *m_export = nullptr;
    int m_currentText = 0;

    QComboBox *m_sourceMode;
    QPlainTextEdit *m_textEdit;
    QPushButton *m_analyzeButton;
    QComboBox *m_colourMode;
    QSpinBox *m_index;
    QLabel *m_featureLabel;
    ColourLegend *m_legend;
    QStackedWidget *m_stack;
    QSplitter *m_splitter;
    EmptyState *m_empty;
    TokenStripView *m_strip;
    FeatureMatrixView *m_matrix;
    ColourLegend *m_matrixLegend;
    QLabel *m_matrixTitle;
    QComboBox *m_sortOrder;
    QSpinBox *m_rowCount;
    QLabel *m_tokenTitle;
    TokenFeatureModel *m_tokenFeatures;
    QTableView *m_table;
    QLabel *m_status;
    QTimer *m_promptSetDebounce;
};

}  // namespace gyrus::widgets
