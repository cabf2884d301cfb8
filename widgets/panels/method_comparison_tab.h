#pragma once

#include "core/base/status.h"
#include "core/contrasts/contrast_requests.h"
#include "widgets/panels/contrast_tab_base.h"

class QCustomPlot;
class QDoubleSpinBox;
class QModelIndex;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTableView;
class QToolButton;

namespace gyrus {
class MethodComparisonModel;
}  // namespace gyrus

namespace gyrus::widgets {

class ReplicationReportBar;

/// The Method comparison tab: which way of selecting k features (max-activation, univariate,
/// discriminative RSA, categorical RSA) decodes A vs B best, with selection inside the folds of
/// repeated stratified cross-validation and a label-permutation null (docs/method_comparison.md).
/// Runs as a long engine job with progress and cancel; shows balanced accuracy and AUC with 95%
/// intervals per method as bars, each method's permutation null band shaded, and the features
/// each method selects (click one to select it everywhere).
class MethodComparisonTab : public ContrastTabBase
{
    Q_OBJECT
public:
    /// Its result goes out of date when `form` or `session`'s model or SAE change.
    MethodComparisonTab(EngineClient *engine, SelectionHub *hub, SessionState *session,
                        ContrastSettingsForm *form, QWidget *parent = nullptr);
    ~MethodComparisonTab() override;

    void run();
    void cancel();

    /// The request run() would submit.
    MethodComparisonRequest request() const;

    MethodComparisonResultPtr result() const { return m_result; }

    /// Shows a comparison computed earlier (a reopened workspace) without running anything;
    /// its settings (k, folds, repeats, permutations) go back into the boxes.
    void showResult(const MethodComparisonResultPtr &result, const ResultProvenance &computedWith);

    /// Back to "no comparison yet" (a new workspace).
    void clearResult();

    QCustomPlot *chart() const { return m_chart; }

    QTableView *selectedFeaturesView() const { return m_features; }

    /// The numbers beside the chart: one row per method.
    QTableView *numbersView() const { return m_numbers; }

    /// Writes every number as CSV (methodComparisonCsv()), or the chart as PNG/SVG/PDF by the
    /// suffix; an error without a result.
    Status exportNumbers(const QString &path) const;
    Status exportChart(const QString &path) const;

    /// The "Replication report…" action with its progress, on the same settings.
    ReplicationReportBar *replicationBar() const { return m_replication; }

    QPushButton *cancelButton() const { return m_cancel; }

    QProgressBar *progressBar() const { return m_progress; }

    /// Sends the ensemble of result row `row` (SAE features, weighted by its classifier,
    /// core/steering/ensemble_clamp.h) to the Steering dock as the clamp set; `strength` is m.
    Status steerWithEnsemble(int row, double strength);

    QPushButton *ensembleButton() const { return m_ensemble; }

    // Settings (tests, start-up options).
    void setSettings(int k, int folds, int repeats, int permutations);

private:
    bool hasResult() const override { return m_result != nullptr; }

    void setRunning(bool running) override;
    void onResult(const MethodComparisonResultPtr &result);
    void onProgress(const JobProgress &progress);
    void onFeatureClicked(const QModelIndex &index);
    void showResult();
    void showSelection(int feature);
    void exportDialog(const QString &format);

    MethodComparisonResultPtr m_result;
    QSpinBox *m_k;
    QSpinBox *m_folds;
    QSpinBox *m_repeats;
    QSpinBox *m_permutations;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    ReplicationReportBar *m_replication;
    QCustomPlot *m_chart;
    QStandardItemModel *m_featureModel;
    QTableView *m_features;
    MethodComparisonModel *m_numbersModel;
    QTableView *m_numbers;
    QToolButton *m_export;
    QPushButton *m_ensemble;
    QDoubleSpinBox *m_ensembleStrength;
};

}  // namespace gyrus::widgets
