#pragma once
// What the Contrasts dock's analysis tabs (Contrast, Feature RSA map, Method comparison) share:
// the settings form they read, one engine request at a time (a new run cancels the one before;
// RequestTracker slot 0), the run button, the status line (progress, the result's summary, why it
// is out of date, why it failed), and the stack of an empty state over the result. A tab adds its
// own controls and result view, submits its request through started() and shows its result.

#include "core/engine/job_runner.h"
#include "widgets/panels/result_freshness.h"

#include <QString>
#include <QWidget>

class QLabel;
class QLayout;
class QPushButton;
class QStackedWidget;
class QToolButton;

namespace gyrus {
class EngineClient;
class FeatureStatsModel;
class RequestTracker;
class SelectionHub;
class SessionState;
class Status;
}  // namespace gyrus

namespace gyrus::widgets {

class ContrastSettingsForm;
class FeatureScatterPlot;

class ContrastTabBase : public QWidget
{
    Q_OBJECT
public:
    ~ContrastTabBase() override;

    /// Why the result on screen no longer matches the form, model or SAE; empty when it does or
    /// when there is none.
    QString staleReason() const;

    /// What the result on screen was computed from.
    const ResultProvenance &resultProvenance() const { return m_freshness.computed(); }

    QString statusText() const;

    QPushButton *runButton() const { return m_run; }

    bool isRunning() const;

Q_SIGNALS:
    /// A new result is on screen.
    void resultShown();

protected:
    /// The words a tab shows: its run button ("Run contrast", also what the out-of-date line asks
    /// to do again), and its status line when a run fails ("Contrast failed: %1") or is
    /// cancelled.
    struct Texts
    {
        QString run;
        QString failed;
        QString cancelled;
    };

    /// `name` prefixes the object names ("contrast" gives "contrast.run"); `twoGroup` as for
    /// ResultFreshness. Its result goes out of date when `form` or `session`'s model or SAE
    /// change.
    ContrastTabBase(EngineClient *engine, SelectionHub *hub, SessionState *session,
                    ContrastSettingsForm *form, const QString &name, bool twoGroup, Texts texts,
                    QWidget *parent);

    /// Whether a result is on screen (what staleReason() speaks of).
    virtual bool hasResult() const = 0;

    /// Enables the run button while idle; a tab with a cancel button or a progress bar adds them.
    virtual void setRunning(bool running);

    /// The tab's layout: `controls` above the status line (with `aboveStatus` between them, a
    /// progress bar), `belowStatus` under it, then the stack of `empty` and `result`.
    void layOut(QLayout *controls, QWidget *empty, QWidget *result, QWidget *aboveStatus = nullptr,
                QWidget *belowStatus = nullptr);

    /// The Export button of a feature table and its plot (CSV and HDF5; PNG, SVG and PDF), named
    /// after the prompt set and `suffix`; what it wrote, or why not, goes on the status line.
    QToolButton *featureExportButton(FeatureStatsModel *model, FeatureScatterPlot *plot,
                                     const QString &plotLabel, const QString &suffix);

    /// Shows `problem` on the status line when there is one; true when there was.
    bool refuse(const QString &problem);

    /// `request` is the tab's run now (the one before is cancelled): the inputs are noted for
    /// the result's freshness, `message` goes on the status line.
    void started(RequestId request, const QString &message);

    /// A result arrives: from the engine (it was computed from what started() saw) when a run is
    /// going, else from a workspace (restoring() said what from).
    void arriving();

    /// A result from a workspace is about to be shown: a run still going would replace it.
    void restoring(const ResultProvenance &computedWith);

    /// The result's summary on the status line (and again when the result is current again).
    void showSummary(const QString &summary);

    /// Cancels a run and goes back to the empty state with an empty status line.
    void clearing();

    /// The status line says why the result is out of date, or its summary again.
    void updateStale();

    /// A click on a feature in the tab selects it everywhere.
    void selectInHub(int feature);

    EngineClient *m_engine;
    SelectionHub *m_hub;
    ContrastSettingsForm *m_form;
    RequestTracker *m_requests;  // one slot (0): the latest run
    QPushButton *m_run;
    QLabel *m_status;
    QStackedWidget *m_stack;
    ResultFreshness m_freshness;

private:
    void onFinished(const Status &status);

    Texts m_texts;
    QString m_summary;  // the status line of the result, shown again when it is current
};

}  // namespace gyrus::widgets
