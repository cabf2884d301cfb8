#pragma once
// The one source of truth for what the user is looking at ("select a feature anywhere to show it
// everywhere"): the selected SAE feature, the clamp set, the user's labels and notes on features,
// and a token picked in one dock for another to show. Every dock reads and writes these here and
// listens for the change signals; no dock keeps its own copy or talks to another dock. Owned by
// the main window; saved in the workspace (but the picked token: a place looked at, not a
// result).

#include "core/steering/clamp_set.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace gyrus {

/// A user's label and free-text notes on one feature, and where the label came from when a
/// language model suggested it.
struct FeatureAnnotation
{
    FeatureAnnotation() = default;

    FeatureAnnotation(QString label, QString notes, QJsonObject explanation = {},
                      QJsonObject detection = {})
        : label(std::move(label))
        , notes(std::move(notes))
        , explanation(std::move(explanation))
        , detection(std::move(detection))
    {}

    QString label;
    QString notes;
    /// The accepted suggestion (core/llm/explanation.h FeatureExplanation::toJson(): explainer,
    /// prompt version, examples used, description, time) with "accepted_label" and "edited";
    /// empty for a label the user wrote.
    QJsonObject explanation;
    /// The last detection score of a label (core/llm/detection_examples.h detectionScoreJson():
    /// the label scored, judge, protocol, balanced accuracy and AUC with CIs); empty: none.
    QJsonObject detection;

    bool isEmpty() const
    {
        return label.isEmpty() && notes.isEmpty() && explanation.isEmpty() && detection.isEmpty();
    }

    bool operator==(const FeatureAnnotation &o) const
    {
        return label == o.label && notes == o.notes && explanation == o.explanation &&
               detection == o.detection;
    }
};

class SelectionHub : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    /// -1 when no feature is selected.
    int selectedFeature() const { return m_feature; }

    /// Selects `feature` (-1 clears); `source` names the dock that asked ("heatmap",
    /// "inspector", "contrast", ...), so a dock can skip re-centring on its own selection.
    /// Emits featureSelected only when the feature changes.
    void selectFeature(int feature, const QString &source = QString());

    const ClampSet &clampSet() const { return m_clamps; }

    void setClampSet(const ClampSet &set);
    /// Click-to-clamp: adds `feature` with `clamp`'s settings (or replaces its entry).
    void addClamp(const FeatureClamp &clamp);
    void removeClamp(int feature);
    void clearClamps();

    FeatureAnnotation annotation(int feature) const { return m_annotations.value(feature); }

    /// An empty annotation removes the entry.
    void setAnnotation(int feature, const FeatureAnnotation &annotation);

    const QHash<int, FeatureAnnotation> &annotations() const { return m_annotations; }

    void setAnnotations(const QHash<int, FeatureAnnotation> &annotations);

    /// Picks token `position` of `text` (the Attribution dock's prompt): the token heatmap shows
    /// that text with the token selected. Emits tokenPicked every time, also for the token picked
    /// last, since the heatmap may have moved on since.
    void pickToken(const QString &text, int position, const QString &source = QString());

    /// Forgets everything (a new workspace, or a different SAE whose feature numbers mean other
    /// things).
    void reset();

Q_SIGNALS:
    void featureSelected(int feature, const QString &source);
    void clampSetChanged(const gyrus::ClampSet &set);
    /// `feature` is -1 when many changed at once (setAnnotations, reset).
    void annotationChanged(int feature);
    void tokenPicked(const QString &text, int position, const QString &source);

private:
    int m_feature = -1;
    ClampSet m_clamps;
    QHash<int, FeatureAnnotation> m_annotations;
};

}  // namespace gyrus
