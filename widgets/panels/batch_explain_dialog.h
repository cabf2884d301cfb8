#pragma once

#include "core/base/status.h"
#include "core/features/feature_inspector_types.h"
#include "core/llm/explanation.h"

#include <QDialog>
#include <QPointer>

#include <memory>
#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace gyrus {
class ChatBackend;
class ChatJob;
class EngineClient;
class RequestTracker;
class SelectionHub;
}  // namespace gyrus

namespace gyrus::widgets {

/// Explains several features at once (the top features of a contrast, or the features a
/// selection method chose): first each feature's examples from the corpus scan (engine), then
/// one explain prompt per feature to the configured language model (a few at a time), with a
/// progress bar, the stage and an ETA, and Cancel. The suggestions appear in a table; the user
/// ticks the ones to keep (features without a label are ticked) and Accept writes them as labels
/// with their provenance, like the Features dock's Explain. Nothing changes before Accept; an
/// answer that does not parse is shown as such and leaves its feature alone.
class BatchExplainDialog : public QDialog
{
    Q_OBJECT
public:
    BatchExplainDialog(EngineClient *engine, SelectionHub *hub, ChatBackend *backend,
                       std::vector<int> features, const QString &what, QWidget *parent = nullptr);
    ~BatchExplainDialog() override;

    /// Starts (called when shown; again after a cancel).
    void start();
    void cancel();
    bool isRunning() const;

    /// Writes the ticked suggestions as labels (with provenance); returns how many.
    int acceptChecked();

    QStandardItemModel *model() const { return m_model; }

    QString statusText() const;

    QPushButton *acceptButton() const { return m_accept; }

    QPushButton *cancelButton() const { return m_cancel; }

Q_SIGNALS:
    /// Every feature has a suggestion or a reason why not (or the run was cancelled).
    void finishedRun(const gyrus::Status &status);

private:
    void requestNextDetails();
    void askExplainer();
    void onAnswers(const Status &status);
    void setRunning(bool running);

    EngineClient *m_engine;
    SelectionHub *m_hub;
    QPointer<ChatBackend> m_backend;
    std::vector<int> m_features;
    RequestTracker *m_requests = nullptr;
    std::vector<FeatureDetailsPtr> m_details;  ///< per feature, once fetched
    std::vector<ExplainPrompt> m_prompts;
    std::vector<int> m_promptRows;  ///< the row (feature index) of each prompt
    std::vector<FeatureExplanation> m_explanations;
    std::vector<bool> m_explained;
    size_t m_nextDetails = 0;
    int m_retries = 0;
    QPointer<ChatJob> m_job;
    bool m_running = false;
    QStandardItemModel *m_model;
    QTableView *m_table;
    QProgressBar *m_progress;
    QLabel *m_status;
    QPushButton *m_cancel;
    QPushButton *m_accept;
};

}  // namespace gyrus::widgets
