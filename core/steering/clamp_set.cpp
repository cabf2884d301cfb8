#include "core/steering/clamp_set.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace gyrus {

QString clampModeName(ClampMode mode)
{
    switch (mode) {
        case ClampMode::Clamp:
            return QStringLiteral("clamp");
        case ClampMode::Scale:
            return QStringLiteral("scale");
        case ClampMode::Add:
            return QStringLiteral("add");
    }
    return QString();
}

std::optional<ClampMode> clampModeFromName(const QString &name)
{
    for (ClampMode mode : {ClampMode::Clamp, ClampMode::Scale, ClampMode::Add}) {
        if (clampModeName(mode) == name) {
            return mode;
        }
    }
    return std::nullopt;
}

QString clampPositionsName(ClampPositions positions)
{
    switch (positions) {
        case ClampPositions::All:
            return QStringLiteral("all");
        case ClampPositions::Prompt:
            return QStringLiteral("prompt");
        case ClampPositions::Generated:
            return QStringLiteral("generated");
    }
    return QString();
}

std::optional<ClampPositions> clampPositionsFromName(const QString &name)
{
    for (ClampPositions p :
         {ClampPositions::All, ClampPositions::Prompt, ClampPositions::Generated}) {
        if (clampPositionsName(p) == name) {
            return p;
        }
    }
    return std::nullopt;
}

bool FeatureClamp::operator==(const FeatureClamp &other) const
{
    return feature == other.feature && mode == other.mode && value == other.value &&
           positions == other.positions && enabled == other.enabled;
}

bool ClampSet::isEmpty() const
{
    for (const FeatureClamp &clamp : clamps) {
        if (clamp.enabled) {
            return false;
        }
    }
    return true;
}

int ClampSet::indexOf(int feature) const
{
    for (int i = 0; i < clamps.size(); ++i) {
        if (clamps.at(i).feature == feature) {
            return i;
        }
    }
    return -1;
}

bool ClampSet::operator==(const ClampSet &other) const
{
    return name == other.name && clamps == other.clamps;
}

std::optional<FeatureClamp> parseFeatureValue(const QString &text)
{
    const int equals = text.indexOf(QLatin1Char('='));
    if (equals <= 0) {
        return std::nullopt;
    }
    bool featureOk = false;
    bool valueOk = false;
    FeatureClamp clamp;
    clamp.feature = text.left(equals).trimmed().toInt(&featureOk);
    clamp.value = text.mid(equals + 1).trimmed().toDouble(&valueOk);
    if (!featureOk || !valueOk || clamp.feature < 0 || !std::isfinite(clamp.value)) {
        return std::nullopt;
    }
    return clamp;
}

QByteArray clampSetToJson(const ClampSet &set)
{
    QJsonArray clamps;
    for (const FeatureClamp &clamp : set.clamps) {
        clamps.append(
                QJsonObject{{QStringLiteral("feature"), clamp.feature},
                            {QStringLiteral("mode"), clampModeName(clamp.mode)},
                            {QStringLiteral("value"), clamp.value},
                            {QStringLiteral("positions"), clampPositionsName(clamp.positions)},
                            {QStringLiteral("enabled"), clamp.enabled}});
    }
    const QJsonObject root{{QStringLiteral("name"), set.name}, {QStringLiteral("clamps"), clamps}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

Result<ClampSet> clampSetFromJson(const QByteArray &json, const QString &origin)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError) {
        return Status::invalidInput(QStringLiteral("%1: not valid JSON at byte %2: %3")
                                            .arg(origin)
                                            .arg(error.offset)
                                            .arg(error.errorString()));
    }
    if (!document.isObject()) {
        return Status::invalidInput(
                QStringLiteral("%1: expected an object with \"clamps\"").arg(origin));
    }
    const QJsonObject root = document.object();
    const QJsonValue clampsValue = root.value(QStringLiteral("clamps"));
    if (!clampsValue.isArray()) {
        return Status::invalidInput(
                QStringLiteral("%1: \"clamps\" is missing or not an array").arg(origin));
    }
    ClampSet set;
    set.name = root.value(QStringLiteral("name")).toString();
    const QJsonArray clamps = clampsValue.toArray();
    for (int i = 0; i < clamps.size(); ++i) {
        const QString where = QStringLiteral("%1: clamps[%2]").arg(origin).arg(i);
        if (!clamps.at(i).isObject()) {
            return Status::invalidInput(where + QStringLiteral(": not an object"));
        }
        const QJsonObject entry = clamps.at(i).toObject();
        FeatureClamp clamp;
        const QJsonValue feature = entry.value(QStringLiteral("feature"));
        const double featureNumber = feature.toDouble(-1);
        if (!feature.isDouble() || featureNumber < 0 ||
            featureNumber != std::floor(featureNumber) || featureNumber > 1e9) {
            return Status::invalidInput(where +
                                        QStringLiteral(": \"feature\" must be an index >= 0"));
        }
        clamp.feature = static_cast<int>(featureNumber);
        const std::optional<ClampMode> mode = clampModeFromName(
                entry.value(QStringLiteral("mode")).toString(QStringLiteral("clamp")));
        if (!mode) {
            return Status::invalidInput(where +
                                        QStringLiteral(": \"mode\" must be clamp, scale or add"));
        }
        clamp.mode = *mode;
        const QJsonValue value = entry.value(QStringLiteral("value"));
        if (!value.isDouble() || !std::isfinite(value.toDouble())) {
            return Status::invalidInput(where +
                                        QStringLiteral(": \"value\" must be a finite number"));
        }
        clamp.value = value.toDouble();
        const std::optional<ClampPositions> positions = clampPositionsFromName(
                entry.value(QStringLiteral("positions")).toString(QStringLiteral("all")));
        if (!positions) {
            return Status::invalidInput(
                    where + QStringLiteral(": \"positions\" must be all, prompt or generated"));
        }
        clamp.positions = *positions;
        clamp.enabled = entry.value(QStringLiteral("enabled")).toBool(true);
        if (set.indexOf(clamp.feature) >= 0) {
            return Status::invalidInput(
                    where + QStringLiteral(": feature %1 appears twice").arg(clamp.feature));
        }
        set.clamps.append(clamp);
    }
    return set;
}

}  // namespace gyrus
