#pragma once
// What the user clamps: a set of SAE features with how each is edited, shared by the
// steering dock, the heatmap/inspector (click-to-clamp), RDM-under-intervention and the
// workspace. Plain data, torch-free; the engine turns it into an SAE splice (ARCHITECTURE.md §4).

#include "core/base/status.h"

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

namespace gyrus {

/// How a feature's activation f_j is edited in the splice h' = h − x̂(f) + x̂(f').
enum class ClampMode
{
    Clamp,  ///< f'_j = value
    Scale,  ///< f'_j = value · f_j
    Add,    ///< h' = h + value · W_dec[j] (additive steering, no encode needed)
};

/// Which token positions the edit applies to.
enum class ClampPositions
{
    All,        ///< prompt and generated tokens
    Prompt,     ///< the prompt's tokens only
    Generated,  ///< tokens produced by generation only
};

QString clampModeName(ClampMode mode);  ///< "clamp", "scale", "add"
std::optional<ClampMode> clampModeFromName(const QString &name);
QString clampPositionsName(ClampPositions positions);  ///< "all", "prompt", "generated"
std::optional<ClampPositions> clampPositionsFromName(const QString &name);

struct FeatureClamp
{
    int feature = -1;
    ClampMode mode = ClampMode::Clamp;
    double value = 0.0;
    ClampPositions positions = ClampPositions::All;
    bool enabled = true;  ///< a disabled entry stays in the set but is not applied

    bool operator==(const FeatureClamp &other) const;

    bool operator!=(const FeatureClamp &other) const { return !(*this == other); }
};

/// An ordered list of clamps with a name; at most one entry per feature.
struct ClampSet
{
    QString name;
    QList<FeatureClamp> clamps;

    bool isEmpty() const;  ///< no enabled clamp
    int indexOf(int feature) const;
    bool operator==(const ClampSet &other) const;

    bool operator!=(const ClampSet &other) const { return !(*this == other); }
};

/// Parses "FEATURE=VALUE" (a feature index >= 0 and a finite number, spaces around either
/// allowed) into a Clamp-mode entry; std::nullopt for anything else. The command-line form of a
/// clamp, shared by `gyrus-cli generate --clamp/--scale/--steer` and `gyrus --clamp`.
std::optional<FeatureClamp> parseFeatureValue(const QString &text);

/// JSON: {"name": ..., "clamps": [{"feature": 12, "mode": "clamp", "value": 4.5,
/// "positions": "all", "enabled": true}, ...]}. Errors name `origin` (a file name) and the entry.
QByteArray clampSetToJson(const ClampSet &set);
Result<ClampSet> clampSetFromJson(const QByteArray &json, const QString &origin);

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::FeatureClamp)
Q_DECLARE_METATYPE(gyrus::ClampSet)
