#include "core/steering/interventions.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cmath>

namespace gyrus {

QString headAblationModeName(HeadAblationMode mode)
{
    return mode == HeadAblationMode::Mean ? QStringLiteral("mean") : QStringLiteral("zero");
}

std::optional<HeadAblation> parseHeadAblation(const QString &text)
{
    static const QRegularExpression form(
            QStringLiteral("^\\s*(\\d+)\\s*\\.\\s*(\\d+)\\s*(?:=\\s*(zero|mean)\\s*)?$"));
    const QRegularExpressionMatch match = form.match(text);
    if (!match.hasMatch()) {
        return std::nullopt;
    }
    bool layerOk = false;
    bool headOk = false;
    HeadAblation ablation;
    ablation.layer = match.captured(1).toInt(&layerOk);
    ablation.head = match.captured(2).toInt(&headOk);
    if (!layerOk || !headOk) {
        return std::nullopt;
    }
    ablation.mode = match.captured(3) == QLatin1String("mean") ? HeadAblationMode::Mean
                                                               : HeadAblationMode::Zero;
    return ablation;
}

Result<SteeringVector> steeringVectorFromJson(const QByteArray &json, const QString &origin,
                                              double alpha)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        return Status::invalidInput(
                QStringLiteral("%1: not a JSON object (%2)")
                        .arg(origin, error.error != QJsonParseError::NoError
                                             ? error.errorString()
                                             : QStringLiteral("the top level is not an object")));
    }
    const QJsonObject object = document.object();
    SteeringVector vector;
    vector.hook = object.value(QStringLiteral("hook")).toString();
    if (vector.hook.isEmpty()) {
        return Status::invalidInput(QStringLiteral("%1: no \"hook\" string").arg(origin));
    }
    const QJsonValue values = object.value(QStringLiteral("vector"));
    if (!values.isArray() || values.toArray().isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: no \"vector\" array of numbers").arg(origin));
    }
    for (const QJsonValue &value : values.toArray()) {
        if (!value.isDouble() || !std::isfinite(value.toDouble())) {
            return Status::invalidInput(
                    QStringLiteral("%1: \"vector\" entry %2 is not a finite number")
                            .arg(origin)
                            .arg(vector.direction.size()));
        }
        vector.direction.push_back(static_cast<float>(value.toDouble()));
    }
    if (!std::isfinite(alpha)) {
        return Status::invalidInput(QStringLiteral("%1: the strength is not finite").arg(origin));
    }
    vector.alpha = alpha;
    const QString a = object.value(QStringLiteral("a")).toString();
    const QString b = object.value(QStringLiteral("b")).toString();
    vector.label = a.isEmpty() ? origin : QStringLiteral("%1 − %2").arg(a, b);
    return vector;
}

QStringList contrastSides(const PromptSet &set)
{
    QStringList sides;
    for (const PromptCondition &condition : set.conditions()) {
        sides << condition.label;
    }
    if (set.factors.size() > 1) {
        for (const PromptFactor &factor : set.factors) {
            for (const QString &level : factor.levels) {
                sides << QStringLiteral("%1=%2").arg(factor.name, level);
            }
        }
    }
    return sides;
}

}  // namespace gyrus
