#pragma once

#include "core/engine/engine_client.h"
#include "core/prompts/prompt_set.h"
#include "core/rsa/rsa_requests.h"
#include "core/session/workspace_data.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace gyrus {
class RequestTracker;
class RsaStatisticsModel;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class EmptyState;
class MdsScatterView;
class RdmHeatmapView;

/// The RSA dock: the item × item RDM of the current prompt set at a hook
/// (raw or SAE features, pooled, a feature subset), grouped by condition, beside the model RDM of
/// a factor; the comparison statistic with its permutation p and bootstrap CI; a 2-D MDS map of
/// the items; and "Intervention": the RDM recomputed with the hub's clamp set applied, with the
/// difference matrix and the change in the statistic. Exports RDMs (CSV, HDF5) and figures
/// (PNG, SVG, PDF). After the first computation it recomputes when the prompt set, the settings
/// or (when used) the clamp set change.
class RsaPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session` is what the dock observes (its prompt set, the model's hooks, the SAE; the
    /// setters below follow it); null: one of its own that follows `engine`.
    RsaPanel(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
             QWidget *parent = nullptr);
    ~RsaPanel() override;

    /// The prompt set whose conditions are compared (the session's open one).
    void setPromptSet(const PromptSet &set);
    /// The hooks offered (the session's model's).
    void setHookNames(const QStringList &hooks);
    /// The loaded SAE (empty path: none): enables SAE features and the intervention.
    void setSae(const SaeInfo &sae);

    /// The request the controls describe now.
    RsaRequest request() const;
    /// Submits request(); returns its id (0 when nothing can be computed: the status says why).
    RequestId compute();

    /// Views: "rdm", "mds", "intervention".
    void showView(const QString &name);

    /// Sets the form to ask for `request` (representation, hook when the model offers it,
    /// pooling, metric, feature subset, selection, comparison, permutations, bootstraps,
    /// intervention); the prompt set, the clamp set and explicit features stay those of the
    /// session. Computes nothing: compute() does.
    void setRequest(const RsaRequest &request);

    Status exportRdmCsv(const QString &path) const;
    /// /rdm [n, n] float32, /items int32, /rdm_clamped and /rdm_difference with an intervention,
    /// /model_<k> per model RDM; root attributes ids (JSON), metric, hook, representation.
    Status exportRdmHdf5(const QString &path) const;
    /// The current view as PNG, SVG or PDF (by the file's suffix).
    Status exportFigure(const QString &path) const;

    std::shared_ptr<const RsaResult> result() const { return m_result; }

    /// The settings and the result (its RDMs and statistics into `data`, HDF5 datasets of the
    /// workspace file), and back: the result is shown again without computing anything.
    QJsonObject workspaceState(WorkspaceData *data) const;
    Status restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                 QStringList *warnings);
    /// No result, default settings kept (a new workspace).
    void clearResult();

    RdmHeatmapView *rdmView() const { return m_rdmView; }

    RdmHeatmapView *modelView() const { return m_modelView; }

    RdmHeatmapView *clampedView() const { return m_clampedView; }

    RdmHeatmapView *differenceView() const { return m_differenceView; }

    MdsScatterView *mdsView() const { return m_mdsView; }

    QString statusText() const;
    QString statisticsText() const;
    /// The statistics as sentences (figure captions).
    QString statisticsCaption() const;
    QString interventionText() const;

    // The form's controls are named "rsa.hook", "rsa.representation", "rsa.pooling",
    // "rsa.metric", "rsa.subset", "rsa.topK", "rsa.selection", "rsa.comparison",
    // "rsa.permutations", "rsa.bootstraps", "rsa.intervention" and "rsa.model" (the model RDM
    // shown), for tests that use the form as a user does; code uses setRequest() and compute().

    /// The statistics table's rows: one per model RDM.
    RsaStatisticsModel *statisticsModel() const { return m_statisticsModel; }

Q_SIGNALS:
    /// The settings or the result on screen changed (what a workspace keeps).
    void stateChanged();

private:
    void buildControls();
    void onResult(const std::shared_ptr<const RsaResult> &result);
    void onFinished(const Status &status);
    void showResult();
    void showModel();
    void showIntervention();
    void updateControls();
    void settingsChanged();
    void setStatus(const QString &text, bool error = false);
    void exportDialog(const QString &what);
    void updateStale();

    EngineClient *m_engine;
    SelectionHub *m_hub;
    QPointer<SessionState> m_session;
    PromptSet m_set;
    SaeInfo m_sae;
    RequestTracker *m_requests = nullptr;  // one slot: the latest RDM (none without an engine)
    bool m_computedOnce = false;
    std::shared_ptr<const RsaResult> m_result;
    // Restored settings that wait for the model's hooks and the SAE; until then they are what
    // the panel stands for in the workspace (loading what it refers to is not a change).
    QJsonObject m_restoredSettings;
    QString m_resultModel;  // what the result was computed with (paths)
    QString m_resultSae;
    QTimer *m_recompute;

    QComboBox *m_hook = nullptr;
    QComboBox *m_representation = nullptr;
    QComboBox *m_pooling = nullptr;
    QComboBox *m_metric = nullptr;
    QComboBox *m_subset = nullptr;
    QSpinBox *m_topK = nullptr;
    QComboBox *m_selection = nullptr;
    QComboBox *m_comparison = nullptr;
    QSpinBox *m_permutations = nullptr;
    QSpinBox *m_bootstraps = nullptr;
    QCheckBox *m_intervention = nullptr;
    QPushButton *m_computeButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QToolButton *m_exportButton = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_setLabel = nullptr;

    QTabWidget *m_tabs = nullptr;
    RdmHeatmapView *m_rdmView = nullptr;
    RdmHeatmapView *m_modelView = nullptr;
    QComboBox *m_modelChoice = nullptr;
    RsaStatisticsModel *m_statisticsModel = nullptr;
    QTableView *m_statistics = nullptr;
    MdsScatterView *m_mdsView = nullptr;
    RdmHeatmapView *m_clampedView = nullptr;
    RdmHeatmapView *m_differenceView = nullptr;
    QLabel *m_interventionSummary = nullptr;
};

}  // namespace gyrus::widgets
