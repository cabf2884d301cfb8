#include "app/dock_catalog.h"

#include <QCoreApplication>

namespace gyrus::app {

const QList<DockSpec> &dockCatalog()
{
    auto tr = [](const char *text) { return QCoreApplication::translate("DockCatalog", text); };
    static const QList<DockSpec> catalog = {
            {QStringLiteral("dock.model"), tr("Model"),
             tr("Open a Hugging Face model directory (config.json, *.safetensors, "
                "tokenizer.model) to see its card and generate text."),
             Qt::LeftDockWidgetArea, QStringLiteral("Alt+1"), QStringLiteral("dock-model")},
            {QStringLiteral("dock.promptSets"), tr("Prompt sets"),
             tr("Stimulus sets with conditions: import the seed's JSON files or write your own, "
                "then run them through the model."),
             Qt::LeftDockWidgetArea, QStringLiteral("Alt+2"), QStringLiteral("dock-prompt-sets")},
            {QStringLiteral("dock.saeTraining"), tr("SAE training"),
             tr("Train a sparse autoencoder on a hook point and watch loss, L0 and dead "
                "features live."),
             Qt::BottomDockWidgetArea, QStringLiteral("Alt+3"),
             QStringLiteral("dock-sae-training")},
            {QStringLiteral("dock.tokenHeatmap"), tr("Token heatmap"),
             tr("Each token of a prompt coloured by the activation of the selected feature."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+4"),
             QStringLiteral("dock-token-heatmap")},
            {QStringLiteral("dock.features"), tr("Features"),
             tr("Top activating examples, density and logit effects of the selected feature."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+5"), QStringLiteral("dock-features")},
            {QStringLiteral("dock.rsa"), tr("RSA"),
             tr("Representational dissimilarity matrices of a prompt set, compared with model "
                "RDMs built from its conditions."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+6"), QStringLiteral("dock-rsa")},
            {QStringLiteral("dock.steering"), tr("Steering"),
             tr("Click a feature to clamp it, then compare baseline and steered generations "
                "side by side."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+7"), QStringLiteral("dock-steering")},
            {QStringLiteral("dock.log"), tr("Log"), QString(), Qt::BottomDockWidgetArea,
             QStringLiteral("Alt+8"), QStringLiteral("dock-log")},
            {QStringLiteral("dock.contrast"), tr("Contrasts"),
             tr("Which features carry a condition: per-feature contrasts with a volcano plot, "
                "the feature-wise RSA map, and a cross-validated comparison of selection "
                "methods."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+9"), QStringLiteral("dock-contrasts")},
            {QStringLiteral("dock.attribution"), tr("Attribution"),
             tr("Why the model said that: which features at which positions drive an output "
                "(activation × gradient, verified by ablation), the logit lens and attention "
                "patterns of a prompt."),
             Qt::RightDockWidgetArea, QStringLiteral("Alt+0"), QStringLiteral("dock-attribution")},
    };
    return catalog;
}

}  // namespace gyrus::app
