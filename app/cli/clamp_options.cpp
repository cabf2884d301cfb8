#include "app/cli/clamp_options.h"

#include <QFile>

#include <optional>

namespace gyrus::cli {

ClampOptions::ClampOptions(QCommandLineParser &parser)
    : m_sae(QStringLiteral("sae"),
            QStringLiteral("SAE directory (SAELens layout) whose features --clamp/--scale/--steer "
                           "edit at its hook."),
            QStringLiteral("DIR"))
    , m_clamp(QStringLiteral("clamp"),
              QStringLiteral("Set SAE feature F's activation to V (repeatable)."),
              QStringLiteral("F=V"))
    , m_scale(QStringLiteral("scale"),
              QStringLiteral("Multiply SAE feature F's activation by X (repeatable)."),
              QStringLiteral("F=X"))
    , m_steer(QStringLiteral("steer"),
              QStringLiteral("Add ALPHA times feature F's decoder direction (repeatable)."),
              QStringLiteral("F=ALPHA"))
    , m_positions(QStringLiteral("positions"),
                  QStringLiteral("Where the edits apply: all (default), prompt or generated "
                                 "(BOS is never edited)."),
                  QStringLiteral("WHERE"), QStringLiteral("all"))
    , m_clampSet(QStringLiteral("clamp-set"),
                 QStringLiteral("A clamp set saved by the steering dock (JSON)."),
                 QStringLiteral("FILE"))
{
    parser.addOptions({m_sae, m_clamp, m_scale, m_steer, m_positions, m_clampSet});
}

QString ClampOptions::saeDirectory(const QCommandLineParser &parser) const
{
    return parser.value(m_sae);
}

Result<ClampSet> ClampOptions::clampSet(const QCommandLineParser &parser) const
{
    ClampSet set;
    if (parser.isSet(m_clampSet)) {
        const QString path = parser.value(m_clampSet);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return Status::notFound(QStringLiteral("%1: cannot read the clamp set (%2)")
                                            .arg(path, file.errorString()));
        }
        Result<ClampSet> loaded = clampSetFromJson(file.readAll(), path);
        if (!loaded) {
            return loaded.status();
        }
        set = loaded.value();
    }
    const std::optional<ClampPositions> positions =
            clampPositionsFromName(parser.value(m_positions));
    if (!positions) {
        return Status::invalidInput(
                QStringLiteral("--positions must be all, prompt or generated, got '%1'")
                        .arg(parser.value(m_positions)));
    }

    const struct
    {
        const QCommandLineOption &option;
        ClampMode mode;
    } kinds[] = {
            {m_clamp, ClampMode::Clamp}, {m_scale, ClampMode::Scale}, {m_steer, ClampMode::Add}};

    for (const auto &kind : kinds) {
        for (const QString &text : parser.values(kind.option)) {
            std::optional<FeatureClamp> parsed = parseFeatureValue(text);
            if (!parsed) {
                return Status::invalidInput(
                        QStringLiteral("--%1 expects FEATURE=VALUE (a feature index >= 0 and a "
                                       "number), got '%2'")
                                .arg(kind.option.names().constFirst(), text));
            }
            FeatureClamp clamp = *parsed;
            clamp.mode = kind.mode;
            clamp.positions = *positions;
            const int index = set.indexOf(clamp.feature);
            if (index >= 0) {
                set.clamps[index] = clamp;
            } else {
                set.clamps.append(clamp);
            }
        }
    }
    return set;
}

}  // namespace gyrus::cli
