#include "core/session/workspace_selection.h"

#include "core/session/selection_hub.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace gyrus {

namespace {

QByteArray saveSelection(const SelectionHub &hub)
{
    QList<int> features = hub.annotations().keys();
    std::sort(features.begin(), features.end());  // same state, same bytes
    QJsonArray annotations;
    for (int feature : features) {
        const FeatureAnnotation a = hub.annotation(feature);
        QJsonObject entry{{QStringLiteral("feature"), feature},
                          {QStringLiteral("label"), a.label},
                          {QStringLiteral("notes"), a.notes}};
        if (!a.explanation.isEmpty()) {
            entry.insert(QStringLiteral("explanation"), a.explanation);
        }
        if (!a.detection.isEmpty()) {
            entry.insert(QStringLiteral("detection"), a.detection);
        }
        annotations.append(entry);
    }
    const QJsonObject root{
            {QStringLiteral("version"), 1},
            {QStringLiteral("selected_feature"), hub.selectedFeature()},
            {QStringLiteral("clamp_set"),
             QJsonDocument::fromJson(clampSetToJson(hub.clampSet())).object()},
            {QStringLiteral("annotations"), annotations},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

Status restoreSelection(SelectionHub &hub, const QByteArray &json)
{
    const QJsonObject root = QJsonDocument::fromJson(json).object();
    const QJsonValue clampJson = root.value(QStringLiteral("clamp_set"));
    const Result<ClampSet> clamps =
            clampJson.isUndefined() ? Result<ClampSet>(ClampSet{})
                                    : clampSetFromJson(QJsonDocument(clampJson.toObject()).toJson(),
                                                       QStringLiteral("the workspace's clamp set"));
    if (!clamps) {
        return clamps.status();
    }
    QHash<int, FeatureAnnotation> annotations;
    for (const QJsonValue &value : root.value(QStringLiteral("annotations")).toArray()) {
        const QJsonObject entry = value.toObject();
        const int feature = entry.value(QStringLiteral("feature")).toInt(-1);
        if (feature < 0) {
            return Status::invalidInput(
                    QStringLiteral("a feature annotation has no valid feature number"));
        }
        const FeatureAnnotation annotation{entry.value(QStringLiteral("label")).toString(),
                                           entry.value(QStringLiteral("notes")).toString(),
                                           entry.value(QStringLiteral("explanation")).toObject(),
                                           entry.value(QStringLiteral("detection")).toObject()};
        if (!annotation.isEmpty()) {
            annotations.insert(feature, annotation);
        }
    }
    hub.setClampSet(*clamps);
    hub.setAnnotations(annotations);
    hub.selectFeature(root.value(QStringLiteral("selected_feature")).toInt(-1),
                      QStringLiteral("workspace"));
    return Status::ok();
}

}  // namespace

std::unique_ptr<WorkspaceSection> makeSelectionSection(SelectionHub *hub)
{
    return makeWorkspaceSection(
            QStringLiteral("selection"), [hub] { return saveSelection(*hub); },
            [hub](const QByteArray &json, QStringList *) { return restoreSelection(*hub, json); },
            [hub] { hub->reset(); });
}

}  // namespace gyrus
