#pragma once
// The Steering dock (click-to-clamp): SelectionHub's clamp set as an editable table,
// baseline and steered generation side by side with a word diff, the next-token distribution
// before/after with KL, and a strength sweep chart. The hub holds the clamp set (one source of
// truth); the panel only edits it and asks the engine (latest-wins, stale results dropped).

#include "core/engine/engine_client.h"
#include "core/prompts/prompt_set.h"
#include "core/session/workspace_data.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <functional>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace gyrus {
class ClampSetModel;
class RequestTracker;
class NextTokenShiftModel;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class ClampValueEditor;
class ConceptSweepTab;
class InterventionsEditor;
class StrengthSweepPlot;
class TextDiffView;

class SteeringPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes (the loaded model and SAE, the open prompt set);
    /// null: one of its own that follows `engine`.
    SteeringPanel(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
                  QWidget *parent = nullptr);

    /// Adds the hub's selected feature to the clamp set (clamped to its observed maximum on the
    /// prompt when known, else 0).
    void addSelectedFeature();
    /// Baseline and steered generation plus the next-token shift for the prompt box.
    void run();
    /// The strength sweep for the current row's feature over the from/to/steps grid.
    void sweep();
    void cancel();
    /// A first look without knowing any feature: finds the SAE feature most active on the
    /// prompt, clamps it to three times that activation, then runs and sweeps it (0 … 4×).
    void runExample();

    /// Writes the hub's clamp set to `path` (JSON); the error names the file.
    Status saveClampSet(const QString &path);
    /// Replaces the hub's clamp set with the one in `path`; the error names the file.
    Status loadClampSet(const QString &path);

    void setPrompt(const QString &prompt);
    QString prompt() const;
    void setSampling(int maxNewTokens, double temperature, quint64 seed);
    /// The clamp table's current row (-1 for none).
    void setCurrentRow(int row);
    void setSweepGrid(double from, double to, int steps);

    QString baselineText() const;
    QString steeredText() const;
    QString statusText() const;

    double lastKl() const { return m_lastKl; }

    ClampSetModel *clampModel() const { return m_clamps; }

    NextTokenShiftModel *nextTokenModel() const { return m_nextTokens; }

    QPushButton *addSelectedButton() const { return m_addSelected; }

    QPushButton *runButton() const { return m_run; }

    StrengthSweepPlot *sweepPlot() const { return m_sweepPlot; }

    TextDiffView *diffView() const { return m_diff; }

    ClampValueEditor *valueEditor() const { return m_valueEditor; }

    /// Head ablations and the concept vector, run beside the clamps.
    InterventionsEditor *interventionsEditor() const { return m_interventions; }

    /// The results tabs, in their order.
    enum ResultsTab
    {
        GenerationResults,
        NextTokenResults,
        StrengthSweepResults,
        ConceptSweepResults,
    };

    /// Shows the results tab at `index` (a ResultsTab).
    void showResultsTab(int index);

    /// The concept sweep's sides: the open prompt set's conditions (a level, or factor=level in
    /// a set of several factors) whose difference is the concept vector. A side the set does
    /// not offer leaves that choice as it is.
    void setConceptSides(const QString &sideA, const QString &sideB);
    /// Runs the concept sweep (the concept vector against its top features over α) on the
    /// prompt box's text.
    void runConceptSweep();

    /// The prompt, sampling and sweep settings and the last outputs (texts, next-token shift,
    /// sweep), the numbers into `data` for the workspace file; restored without running.
    QJsonObject workspaceState(WorkspaceData *data) const;
    Status restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data);

Q_SIGNALS:
    /// Every run, next-token and sweep request this panel started has finished.
    void runFinished();
    /// The concept sweep's result is on screen.
    void conceptSweepShown();

private:
    QWidget *makeClampSection();
    QWidget *makeRunSection();
    QWidget *makeResults();
    void requestRanges();
    void showCurrentClamp();
    void editCurrentClamp(const std::function<void(FeatureClamp &)> &edit);
    void updateEnabled();
    void saveWithDialog();
    void loadWithDialog();
    bool showError(const Status &status);  // true when it showed one
    void showOutcome(const SteeringOutcome &outcome);
    void startExample(const FeatureRanges &ranges);  // the second half of runExample()

    enum Slot
    {
        Steer,
        NextToken,
        Sweep,
        Ranges,   // the clamp rows' observed ranges (the value editor's slider)
        Example,  // the all-feature ranges of runExample()
    };

    EngineClient *m_engine;
    SelectionHub *m_hub;
    QPointer<SessionState> m_session;
    ClampSetModel *m_clamps;
    NextTokenShiftModel *m_nextTokens;
    RequestTracker *m_requests;
    bool m_runStarted = false;  // runFinished() is owed once Steer, NextToken and Sweep end
    bool m_lastOutcomeReusedBaseline = false;
    double m_lastKl = -1.0;

    QTableView *m_table;
    QPushButton *m_addSelected;
    QPushButton *m_remove;
    QToolButton *m_file;  // Load…/Save… menu
    QPushButton *m_example;
    QLabel *m_currentLabel;
    QComboBox *m_mode;
    ClampValueEditor *m_valueEditor;
    QComboBox *m_positions;
    InterventionsEditor *m_interventions;

    QLineEdit *m_prompt;
    QSpinBox *m_maxTokens;
    QDoubleSpinBox *m_temperature;
    QSpinBox *m_seed;
    QPushButton *m_run;
    QPushButton *m_cancel;

    QPlainTextEdit *m_baseline;
    QPlainTextEdit *m_steered;
    TextDiffView *m_diff;
    QLabel *m_diffCaption;
    QLabel *m_klLabel;
    QTableView *m_nextTable;
    QDoubleSpinBox *m_sweepFrom;
    QDoubleSpinBox *m_sweepTo;
    QSpinBox *m_sweepSteps;
    QLineEdit *m_sweepTarget;
    QPushButton *m_sweepButton;
    QProgressBar *m_sweepProgress;
    StrengthSweepPlot *m_sweepPlot;
    ConceptSweepTab *m_conceptSweep;
    QTabWidget *m_resultTabs;
    QLabel *m_status;
    QTimer *m_rangeTimer;
};

}  // namespace gyrus::widgets
