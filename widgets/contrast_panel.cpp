#include "widgets/contrast_panel.h"

#include "core/engine_client.h"
#include "widgets/contrast_settings_form.h"
#include "widgets/contrast_view.h"
#include "widgets/feature_rsa_view.h"
#include "widgets/method_comparison_view.h"

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

void ContrastPanel::setPromptSet(const PromptSet &set)
{
    m_form->setPromptSet(set);
}

}  // namespace gyrus::widgets
