#include "widgets/contrast_panel.h"

#include "core/engine_client.h"
#include "core/result_archive.h"
#include "widgets/contrast_settings_form.h"
#include "widgets/contrast_view.h"
#include "widgets/feature_rsa_view.h"
#include "widgets/method_comparison_view.h"

#include <QJsonArray>
#include <QTabWidget>
#include <QVBoxLayout>

namespace gyrus::widgets {

ContrastPanel::ContrastPanel(EngineClient *engine, SelectionHub *hub, QWidget *parent)
    : QWidget(parent)
    , m_form(new ContrastSettingsForm(this))
    , m_tabs(new QTabWidget(this))
    , m_contrast(new ContrastView(engine, hub, m_form, this))
    , m_rsa(new FeatureRsaView(engine, hub, m_form, this))
    , m_methods(new MethodComparisonView(engine, hub, m_form, this))
{
    m_tabs->setObjectName(QStringLiteral("contrast.tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_contrast, tr("Contrast"));
    m_tabs->addTab(m_rsa, tr("Feature RSA map"));
    m_tabs->addTab(m_methods, tr("Method comparison"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_form);
    layout->addWidget(m_tabs, 1);

    connect(m_contrast, &ContrastView::resultShown, this, &ContrastPanel::resultShown);
    connect(m_rsa, &FeatureRsaView::resultShown, this, &ContrastPanel::resultShown);
    connect(m_methods, &MethodComparisonView::resultShown, this, &ContrastPanel::resultShown);
    m_form->setHookNames(engine->currentModel().hookNames);
    m_form->setSae(engine->currentSae());
    connect(engine, &EngineClient::modelLoaded, this,
            [this](RequestId, const ModelInfo &info) { m_form->setHookNames(info.hookNames); });
    connect(engine, &EngineClient::saeLoaded, this,
            [this](RequestId, const SaeInfo &info) { m_form->setSae(info); });
}

ContrastPanel::~ContrastPanel() = default;

QJsonObject ContrastPanel::workspaceState(WorkspaceData *data) const
{
    QJsonObject state{{QStringLiteral("version"), 1},
                      {QStringLiteral("form"), m_form->settingsState()},
                      {QStringLiteral("tab"), m_tabs->currentIndex()}};
    if (const ContrastPanelResultPtr result = m_contrast->result()) {
        state[QStringLiteral("contrast")] =
                QJsonObject{{QStringLiteral("result"),
                             archiveContrast(*result, QStringLiteral("contrast"), data)},
                            {QStringLiteral("computed_with"),
                             provenanceToJson(m_contrast->resultProvenance())}};
    }
    if (const FeatureRsaMapPtr map = m_rsa->map()) {
        state[QStringLiteral("rsa_map")] = QJsonObject{
                {QStringLiteral("result"),
                 archiveFeatureRsaMap(*map, QStringLiteral("rsa_map"), data)},
                {QStringLiteral("computed_with"), provenanceToJson(m_rsa->resultProvenance())}};
    }
    if (const MethodComparisonResultPtr methods = m_methods->result()) {
        state[QStringLiteral("methods")] = QJsonObject{
                {QStringLiteral("result"),
                 archiveMethodComparison(*methods, QStringLiteral("methods"), data)},
                {QStringLiteral("computed_with"), provenanceToJson(m_methods->resultProvenance())}};
    }
    return state;
}

Status ContrastPanel::restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                            QStringList *warnings)
{
    clearResults();
    m_form->restoreSettingsState(state.value(QStringLiteral("form")).toObject());
    const PromptSet &set = m_form->promptSet();
    auto entry = [&state](const char *key) { return state.value(QLatin1String(key)).toObject(); };
    auto provenance = [&set](const QJsonObject &object) {
        return provenanceFromJson(object.value(QStringLiteral("computed_with")).toObject(), set);
    };
    auto result = [](const QJsonObject &object) {
        return object.value(QStringLiteral("result")).toObject();
    };
    // A result that cannot be read is left out with a warning: the rest of the study opens.
    auto warn = [warnings](const QString &what, const Status &status) {
        if (warnings) {
            warnings->append(tr("The saved %1 could not be restored (%2); run it again.")
                                     .arg(what, status.message()));
        }
    };
    if (const QJsonObject contrast = entry("contrast"); !contrast.isEmpty()) {
        Result<ContrastPanelResultPtr> restored =
                unarchiveContrast(result(contrast), QStringLiteral("contrast"), data);
        restored ? m_contrast->showResult(*restored, provenance(contrast))
                 : warn(tr("contrast"), restored.status());
    }
    if (const QJsonObject map = entry("rsa_map"); !map.isEmpty()) {
        Result<FeatureRsaMapPtr> restored =
                unarchiveFeatureRsaMap(result(map), QStringLiteral("rsa_map"), data);
        restored ? m_rsa->showMap(*restored, provenance(map))
                 : warn(tr("feature RSA map"), restored.status());
    }
    if (const QJsonObject methods = entry("methods"); !methods.isEmpty()) {
        Result<MethodComparisonResultPtr> restored =
                unarchiveMethodComparison(result(methods), QStringLiteral("methods"), data);
        restored ? m_methods->showResult(*restored, provenance(methods))
                 : warn(tr("method comparison"), restored.status());
    }
    const int tab = state.value(QStringLiteral("tab")).toInt();
    if (tab >= 0 && tab < m_tabs->count()) {
        m_tabs->setCurrentIndex(tab);
    }
    return Status::ok();
}

void ContrastPanel::clearResults()
{
    m_contrast->clearResult();
    m_rsa->clearResult();
    m_methods->clearResult();
}

void ContrastPanel::setPromptSet(const PromptSet &set)
{
    m_form->setPromptSet(set);
}

}  // namespace gyrus::widgets
