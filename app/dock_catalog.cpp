#include "app/dock_catalog.h"

#include "app/demo_assets.h"
#include "core/session/session_state.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/model_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/panels/sae_training_panel.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/log_view.h"

#include <QCoreApplication>

namespace gyrus::app {

namespace {

using Factory = std::function<QWidget *(const DockContext &, QWidget *)>;

// A panel that asks the engine: none without one.
template <typename Make>
Factory withEngine(Make make)
{
    return [make](const DockContext &context, QWidget *parent) -> QWidget * {
        return context.engine ? make(context, parent) : nullptr;
    };
}

QWidget *createPromptSets(const DockContext &context, QWidget *parent)
{
    auto *panel = new widgets::PromptSetsPanel(parent);
    const QString library = bundledPromptSets();
    if (!library.isEmpty()) {
        panel->setLibraryRoot(library);
    }
    // The dock edits the session's prompt set; the other docks observe the session.
    if (context.session) {
        context.session->setPromptSet(panel->promptSet());
        QObject::connect(panel, &widgets::PromptSetsPanel::promptSetChanged, context.session,
                         &SessionState::setPromptSet);
    }
    return panel;
}

QWidget *createSaeTraining(const DockContext &context, QWidget *parent)
{
    auto *panel = new widgets::SaeTrainingPanel(context.engine, context.session, parent);
    panel->setEvaluationText(bundledHeldoutText());
    panel->setDefaultCorpus(bundledTrainingText());
    return panel;
}

QWidget *createFeatures(const DockContext &context, QWidget *parent)
{
    auto *panel = new widgets::FeatureInspectorPanel(context.engine, context.selection,
                                                     context.session, parent);
    panel->setDefaultCorpus(bundledHeldoutText());
    return panel;
}

}  // namespace

const QList<DockSpec> &dockCatalog()
{
    auto tr = [](const char *text) { return QCoreApplication::translate("DockCatalog", text); };
    static const QList<DockSpec> catalog = {
            {dock_id::kModel, tr("Model"),
             tr("Open a Hugging Face model directory (config.json, *.safetensors, "
                "tokenizer.model) to see its card and generate text."),
             Qt::LeftDockWidgetArea, QStringLiteral("Alt+1"), QStringLiteral("dock-model"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::ModelPanel(context.engine, context.session, parent);
             })},
            {dock_id::kPromptSets, tr("Prompt sets"),
             tr("Stimulus sets with conditions: import the seed's JSON files or write your own, "
                "then run them through the model."),
             Qt::LeftDockWidgetArea, QStringLiteral("Alt+2"), QStringLiteral("dock-prompt-sets"),
             createPromptSets},
            {dock_id::kSaeTraining, tr("SAE training"),
             tr("Train a sparse autoencoder on a hook point and watch loss, L0 and dead "
                "features live."),
             Qt::BottomDockWidgetArea, QStringLiteral("Alt+3"), QStringLiteral("dock-sae-training"),
             withEngine(createSaeTraining)},
            {dock_id::kTokenHeatmap, tr("Token heatmap"),
             tr("Each token of a prompt coloured by the activation of the selected feature."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+4"), QStringLiteral("dock-token-heatmap"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::TokenHeatmapPanel(context.engine, context.selection,
                                                       context.session, parent);
             })},
            {dock_id::kFeatures, tr("Features"),
             tr("Top activating examples, density and logit effects of the selected feature."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+5"), QStringLiteral("dock-features"),
             withEngine(createFeatures)},
            {dock_id::kRsa, tr("RSA"),
             tr("Representational dissimilarity matrices of a prompt set, compared with model "
                "RDMs built from its conditions."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+6"), QStringLiteral("dock-rsa"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::RsaPanel(context.engine, context.selection, context.session,
                                              parent);
             })},
            {dock_id::kSteering, tr("Steering"),
             tr("Click a feature to clamp it, then compare baseline and steered generations "
                "side by side."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+7"), QStringLiteral("dock-steering"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::SteeringPanel(context.engine, context.selection,
                                                   context.session, parent);
             })},
            {dock_id::kLog, tr("Log"), QString(), Qt::BottomDockWidgetArea, QStringLiteral("Alt+8"),
             QStringLiteral("dock-log"),
             [](const DockContext &context, QWidget *parent) -> QWidget * {
                 return context.logModel ? new widgets::LogView(context.logModel, parent) : nullptr;
             }},
            {dock_id::kContrast, tr("Contrasts"),
             tr("Which features carry a condition: per-feature contrasts with a volcano plot, "
                "the feature-wise RSA map, and a cross-validated comparison of selection "
                "methods."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+9"), QStringLiteral("dock-contrasts"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::ContrastPanel(context.engine, context.selection,
                                                   context.session, parent);
             })},
            {dock_id::kAttribution, tr("Attribution"),
             tr("Why the model said that: which features at which positions drive an output "
                "(activation × gradient, verified by ablation), the logit lens and attention "
                "patterns of a prompt."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+0"), QStringLiteral("dock-attribution"),
             withEngine([](const DockContext &context, QWidget *parent) {
                 return new widgets::AttributionPanel(context.engine, context.selection,
                                                      context.session, parent);
             })},
    };
    return catalog;
}

const DockSpec *findDock(const QString &objectName)
{
    for (const DockSpec &spec : dockCatalog()) {
        if (spec.objectName == objectName) {
            return &spec;
        }
    }
    return nullptr;
}

}  // namespace gyrus::app
