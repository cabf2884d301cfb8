#pragma once

#include "core/engine/engine_client.h"
#include "core/prompts/prompt_set.h"
#include "core/steering/concept_sweep_types.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <functional>

class QComboBox;
class QCustomPlot;
class QCPGraph;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace gyrus {
class RequestTracker;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

/// The Steering dock's "Concept vs features" tab: steer by the open prompt set's concept vector
/// (side A − side B at the SAE's hook, α · v) or by its k top contrast features (each added
/// along its decoder row by α times its mean activation difference) over a grid of α, and
/// compare log p(token) and KL(baseline ‖ steered) after the dock's prompt on one chart (solid:
/// concept vector, dashed: features). The engine runs it in slices
/// (gpu/sae/steering/concept_sweep.h, the code of `gyrus-cli concept-sweep`).
class ConceptSweepTab : public QWidget
{
    Q_OBJECT
public:
    /// The concept is of `session`'s open prompt set (null: a session of its own that follows
    /// `engine`).
    explicit ConceptSweepTab(EngineClient *engine, SessionState *session = nullptr,
                             QWidget *parent = nullptr);
    /// Where the prompt comes from (the Steering dock's prompt box).
    void setPromptSource(std::function<QString()> prompt);

    void setGrid(double from, double to, int steps);
    /// The concept's sides A and B (as the side boxes offer them); one not offered is left.
    void setSides(const QString &sideA, const QString &sideB);
    void run();
    void cancel();
    bool isRunning() const;

    /// The request run() sends; errors name the field.
    Result<ConceptSweepRequest> request() const;

    const ConceptSweepResult &result() const { return m_result; }

    QComboBox *sideA() const { return m_sideA; }

    QComboBox *sideB() const { return m_sideB; }

    QSpinBox *featureCount() const { return m_features; }

    QLineEdit *targetEdit() const { return m_target; }

    QCustomPlot *plot() const { return m_plot; }

    QString summaryText() const;

    QJsonObject state() const;
    void restoreState(const QJsonObject &state);

Q_SIGNALS:
    void sweepShown();

private:
    void offerSides(const PromptSet &set);  // the open set's conditions as sides A and B
    void showResult(const ConceptSweepResult &result);
    void setStatus(const QString &text, bool error = false);

    EngineClient *m_engine;
    QPointer<SessionState> m_session;
    RequestTracker *m_requests = nullptr;
    std::function<QString()> m_prompt;
    ConceptSweepResult m_result;

    QComboBox *m_sideA;
    QComboBox *m_sideB;
    QSpinBox *m_features;
    QDoubleSpinBox *m_from;
    QDoubleSpinBox *m_to;
    QSpinBox *m_steps;
    QLineEdit *m_target;
    QPushButton *m_runButton;
    QProgressBar *m_progress;
    QCustomPlot *m_plot;
    QCPGraph *m_conceptLog;
    QCPGraph *m_featuresLog;
    QCPGraph *m_conceptKl;
    QCPGraph *m_featuresKl;
    QLabel *m_summary;
};

}  // namespace gyrus::widgets
