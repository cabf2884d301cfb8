#pragma once

#include "core/contrasts/contrast_requests.h"
#include "widgets/panels/contrast_tab_base.h"

class QComboBox;
class QToolButton;

namespace gyrus {
class FeatureStatsModel;
}  // namespace gyrus

namespace gyrus::widgets {

class FeatureScatterPlot;
class FeatureTableView;

/// The Feature RSA map tab: for every feature, its pooled separation scores r and d
/// (gpu/analysis/feature_selection.h; the scores once called discriminative and categorical RSA)
/// between the form's levels A and B, next to the max-activation contrast |mean A − mean B|, and
/// on aligned windows the temporal discriminative and categorical RSA of the items' time courses
/// (docs/temporal_rsa.md), as a sortable table and a scatter plot of the chosen score against
/// the max-activation contrast. Click selects; the hub's selection is
/// highlighted.
class FeatureRsaTab : public ContrastTabBase
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

    /// Back to "no RSA map yet" (a new workspace).
    void clearResult();

    FeatureTableView *table() const { return m_table; }

    /// The Export button: the table (CSV, HDF5) and the scatter plot (PNG, SVG, PDF).
    QToolButton *exportButton() const { return m_export; }

    FeatureScatterPlot *scatter() const { return m_scatter; }

private:
    bool hasResult() const override { return m_map != nullptr; }

    void onResult(const FeatureRsaMapPtr &map);
    void updateScatter();

    FeatureRsaMapPtr m_map;
    FeatureStatsModel *m_model;
    QComboBox *m_score;
    FeatureScatterPlot *m_scatter;
    FeatureTableView *m_table;
    QToolButton *m_export;
};

}  // namespace gyrus::widgets
