#include "core/session/selection_hub.h"

namespace gyrus {

void SelectionHub::selectFeature(int feature, const QString &source)
{
    if (feature < -1) {
        feature = -1;
    }
    if (feature == m_feature) {
        return;
    }
    m_feature = feature;
    Q_EMIT featureSelected(feature, source);
}

void SelectionHub::setClampSet(const ClampSet &set)
{
    if (set == m_clamps) {
        return;
    }
    m_clamps = set;
    Q_EMIT clampSetChanged(m_clamps);
}

void SelectionHub::addClamp(const FeatureClamp &clamp)
{
    if (clamp.feature < 0) {
        return;
    }
    ClampSet next = m_clamps;
    const int index = next.indexOf(clamp.feature);
    if (index >= 0) {
        next.clamps[index] = clamp;
    } else {
        next.clamps.append(clamp);
    }
    setClampSet(next);
}

void SelectionHub::removeClamp(int feature)
{
    ClampSet next = m_clamps;
    const int index = next.indexOf(feature);
    if (index < 0) {
        return;
    }
    next.clamps.removeAt(index);
    setClampSet(next);
}

void SelectionHub::clearClamps()
{
    ClampSet next = m_clamps;
    next.clamps.clear();
    setClampSet(next);
}

void SelectionHub::setAnnotation(int feature, const FeatureAnnotation &annotation)
{
    if (feature < 0 || m_annotations.value(feature) == annotation) {
        return;
    }
    if (annotation.isEmpty()) {
        m_annotations.remove(feature);
    } else {
        m_annotations.insert(feature, annotation);
    }
    Q_EMIT annotationChanged(feature);
}

void SelectionHub::setAnnotations(const QHash<int, FeatureAnnotation> &annotations)
{
    m_annotations = annotations;
    Q_EMIT annotationChanged(-1);
}

void SelectionHub::pickToken(const QString &text, int position, const QString &source)
{
    Q_EMIT tokenPicked(text, position, source);
}

void SelectionHub::reset()
{
    selectFeature(-1);
    setClampSet(ClampSet{});
    if (!m_annotations.isEmpty()) {
        setAnnotations({});
    }
}

}  // namespace gyrus
