#pragma once

#include "core/prompt_set.h"
#include "core/status.h"
#include "core/workspace_data.h"

#include <QJsonObject>
#include <QWidget>

class QTabWidget;

namespace gyrus {
class EngineClient;
class SelectionHub;
}  // namespace gyrus

namespace gyrus::widgets {

class ContrastSettingsForm;
class ContrastView;
class FeatureRsaView;
class MethodComparisonView;

/// The Contrasts dock (issue 9 items 1, 3, 4): which features carry a condition, answered three
/// ways on the same stimuli — a univariate contrast per feature (volcano + table), the
/// feature-wise RSA map, and the cross-validated comparison of selection methods. The settings
/// form on top (prompt set, factor, A and B, hook, raw or SAE features, pooling) feeds all three
/// tabs. It follows the engine's loaded model and SAE, and the hub's selected feature.
class ContrastPanel : public QWidget
{
    Q_OBJECT
public:
    ContrastPanel(EngineClient *engine, SelectionHub *hub, QWidget *parent = nullptr);
    ~ContrastPanel() override;

    /// The stimuli to analyse (the Prompt sets dock's open set; follow its promptSetChanged).
    void setPromptSet(const PromptSet &set);

    ContrastSettingsForm *form() const { return m_form; }

    QTabWidget *tabs() const { return m_tabs; }

    ContrastView *contrastView() const { return m_contrast; }

    FeatureRsaView *rsaView() const { return m_rsa; }

    MethodComparisonView *methodsView() const { return m_methods; }

    /// The form's settings and the three tabs' results: their numbers into `data` (HDF5
    /// datasets in the workspace file), the rest as JSON, with what each was computed from.
    QJsonObject workspaceState(WorkspaceData *data) const;
    /// Shows the saved results again without computing anything; a result whose inputs no
    /// longer match says it is out of date. Call after the prompt set was restored.
    Status restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                 QStringList *warnings);
    /// No results (a new workspace).
    void clearResults();

Q_SIGNALS:
    /// A tab has put a new result on screen.
    void resultShown();

private:
    ContrastSettingsForm *m_form;
    QTabWidget *m_tabs;
    ContrastView *m_contrast;
    FeatureRsaView *m_rsa;
    MethodComparisonView *m_methods;
};

}  // namespace gyrus::widgets
