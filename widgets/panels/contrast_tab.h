#pragma once

#include "core/contrasts/contrast_requests.h"
#include "widgets/panels/contrast_tab_base.h"

class QComboBox;
class QToolButton;
class QCPItemStraightLine;

namespace gyrus {
class FeatureStatsModel;
}  // namespace gyrus

namespace gyrus::widgets {

class FeatureScatterPlot;
class FeatureTableView;

/// The Contrast tab: runs a contrast per feature for the form's settings and shows it as a
/// volcano plot (Cohen's d against −log10 q, q < 0.05 coloured, the q = 0.05 line) above a
/// sortable table (feature, label, mean A, mean B, t, d, p, q). For a 2 × 2 design an effect
/// selector switches between the main effects and the interaction. A click on a point or row
/// selects the feature in the hub; the hub's selection is highlighted here.
class ContrastTab : public ContrastTabBase
{
    Q_OBJECT
public:
    /// Its result goes out of date when `form` or `session`'s model or SAE change.
    ContrastTab(EngineClient *engine, SelectionHub *hub, SessionState *session,
                ContrastSettingsForm *form, QWidget *parent = nullptr);
    ~ContrastTab() override;

    /// Submits the form's contrast (or shows why it cannot).
    void run();

    /// Shows effect `index` of the current result (0 for a two-level contrast).
    void showEffect(int index);

    int currentEffect() const;
    int effectCount() const;

    ContrastAnalysisResultPtr result() const { return m_result; }

    /// Shows a result computed earlier (a reopened workspace) without running anything.
    void showResult(const ContrastAnalysisResultPtr &result, const ResultProvenance &computedWith);

    /// Back to "no contrast yet" (a new workspace).
    void clearResult();

    FeatureTableView *table() const { return m_table; }

    /// The Export button: the table (CSV, HDF5) and the volcano plot (PNG, SVG, PDF).
    QToolButton *exportButton() const { return m_export; }

    FeatureScatterPlot *volcano() const { return m_volcano; }

    QComboBox *effectSelector() const { return m_effect; }

private:
    bool hasResult() const override { return m_result != nullptr; }

    void onResult(const ContrastAnalysisResultPtr &result);
    void onFeatureSelected(int feature);

    ContrastAnalysisResultPtr m_result;
    FeatureStatsModel *m_model;
    QComboBox *m_effect;
    FeatureScatterPlot *m_volcano;
    QCPItemStraightLine *m_threshold;
    FeatureTableView *m_table;
    QToolButton *m_export;
    quint64 m_shownEffects = 0;  // counts showEffect() calls, so a deferred volcano knows its own

    // The volcano's points: features with any variance, d against −log10 q, grouped A higher /
    // B higher / not significant. Touches no Qt object (worked out on a worker thread for a
    // wide SAE).
    struct VolcanoPoints
    {
        std::vector<int> ids;
        std::vector<double> x;
        std::vector<double> y;
        std::vector<int> group;
    };

    static VolcanoPoints volcanoPoints(const ContrastResult &stats);
    void plotVolcano(const ContrastEffect &effect, const VolcanoPoints &points);
};

}  // namespace gyrus::widgets
