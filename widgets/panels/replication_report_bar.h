#pragma once

#include "core/base/status.h"
#include "core/contrasts/contrast_requests.h"
#include "core/engine/job_runner.h"

#include <QWidget>

#include <functional>

class QLabel;
class QProgressBar;
class QPushButton;

namespace gyrus {
class EngineClient;
class RequestTracker;
}  // namespace gyrus

namespace gyrus::widgets {

class ContrastSettingsForm;

/// The Contrasts dock's "Replication report…" action: the original project's three claims tested
/// on the open prompt set with the loaded model and SAE (the engine runs what `gyrus-cli
/// replicate` runs), with stage progress, ETA and cancel, the HTML report written to a directory
/// the user chooses, and a link to open it when it is done.
class ReplicationReportBar : public QWidget
{
    Q_OBJECT
public:
    /// `settings` gives the cross-validation settings (k, folds, repeats, permutations, seed) of
    /// the method comparison beside it.
    ReplicationReportBar(EngineClient *engine, ContrastSettingsForm *form,
                         std::function<ReplicationRequest()> settings, QWidget *parent = nullptr);

    /// Asks for a directory, then runs.
    void chooseDirectoryAndRun();

    /// Runs into `directory` (tests, start-up options); the form's problem, if any, instead.
    void run(const QString &directory);
    void cancel();
    bool isRunning() const;

    /// The request run() would submit into `directory`.
    ReplicationRequest request(const QString &directory) const;

    QString statusText() const;

    QPushButton *runButton() const { return m_run; }

    QPushButton *cancelButton() const { return m_cancel; }

    QProgressBar *progressBar() const { return m_progress; }

Q_SIGNALS:
    /// The report is written.
    void written(const gyrus::ReplicationOutcome &outcome);

private:
    void setRunning(bool running);

    EngineClient *m_engine;
    ContrastSettingsForm *m_form;
    std::function<ReplicationRequest()> m_settings;
    RequestTracker *m_requests = nullptr;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status;
};

}  // namespace gyrus::widgets
