#pragma once

#include "core/contrasts/contrast_requests.h"
#include "core/engine/job_runner.h"
#include "widgets/panels/result_freshness.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QToolButton;

namespace gyrus {
class RequestTracker;
class EngineClient;
class FeatureStatsModel;
class SelectionHub;
class SessionState;
class Status;
}  // namespace gyrus

namespace gyrus::widgets {

class ContrastSettingsForm;
class FeatureScatterPlot;
class FeatureTableView;

/// The Feature RSA map tab: for every feature, its pooled separation scores r and d
/// (gpu/analysis/feature_selection.h; the scores once called discriminative and categorical RSA)
/// between the form's levels A and B, next to the max-activation contrast |mean A − mean B|, and
/// on aligned windows the temporal discriminative and categorical RSA of the items' time courses
/// (docs/temporal_rsa.md), as a sortable table and a scatter plot of the chosen score against
/// the max-activation contrast. Click selects; the hub's selection is
/// highlighted.
class FeatureRsaTab : public QWidget
{
    Q_OBJECT
public:
    /// Its result goes out of date when `form` or `session`'s model or SAE change.
    FeatureRsaTab(EngineClient *engine, SelectionHub *hub, SessionState *session,
                  ContrastSettingsForm *form, QWidget *parent = nullptr);
    ~FeatureRsaTab() override;

    void run();

    /// 0: pooled separation r on the y axis, 1: pooled separation d; on aligned windows 2:
    /// temporal discriminative RSA, 3: temporal categorical RSA.
    void setScatterScore(int score);

    FeatureRsaMapPtr map() const { return m_map; }

    /// Shows a map computed earlier (a reopened workspace) without running anything.
    void showMap(const FeatureRsaMapPtr &map, const ResultProvenance &computedWith);

    const ResultProvenance &resultProvenance() const { return m_freshness.computed(); }

    /// Back to "no RSA map yet" (a new workspace).
    void clearResult();

    /// Why the map on screen no longer matches the form, model or SAE; empty when it does.
    QString staleReason() const;

    FeatureTableView *table() const { return m_table; }

    /// The Export button: the table (CSV, HDF5) and the scatter plot (PNG, SVG, PDF).
    QToolButton *exportButton() const { return m_export; }

    FeatureScatterPlot *scatter() const { return m_scatter; }

    QPushButton *runButton() const { return m_run; }

    QString statusText() const;

Q_SIGNALS:
    /// A new result is on screen.
    void resultShown();

private:
    void onResult(const FeatureRsaMapPtr &map);
    void onFinished(const Status &status);
    void updateScatter();
    void updateStale();

    EngineClient *m_engine;
    SelectionHub *m_hub;
    ContrastSettingsForm *m_form;
    RequestTracker *m_requests = nullptr;  // one slot: the latest run
    FeatureRsaMapPtr m_map;
    FeatureStatsModel *m_model;
    QPushButton *m_run;
    QComboBox *m_score;
    QLabel *m_status;
    QStackedWidget *m_stack;
    FeatureScatterPlot *m_scatter;
    FeatureTableView *m_table;
    QToolButton *m_export = nullptr;
    ResultFreshness m_freshness;
    QString m_summary;
};

}  // namespace gyrus::widgets
