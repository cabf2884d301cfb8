#pragma once
// The steering options of `gyrus-cli generate` (CLI parity with the steering dock):
// --sae DIR, --clamp F=V, --scale F=X, --steer F=ALPHA (each repeatable), --positions and
// --clamp-set FILE.json, turned into the same ClampSet the dock sends to the engine.

#include "core/base/status.h"
#include "core/steering/clamp_set.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace gyrus::cli {

class ClampOptions
{
public:
    explicit ClampOptions(QCommandLineParser &parser);

    /// The SAE directory (empty when --sae was not given).
    QString saeDirectory(const QCommandLineParser &parser) const;

    /// The clamp set: --clamp-set's entries first, then --clamp, --scale and --steer (with
    /// --positions), a later entry replacing an earlier one for the same feature. Errors name the
    /// option and the bad text, or the file.
    Result<ClampSet> clampSet(const QCommandLineParser &parser) const;

private:
    QCommandLineOption m_sae;
    QCommandLineOption m_clamp;
    QCommandLineOption m_scale;
    QCommandLineOption m_steer;
    QCommandLineOption m_positions;
    QCommandLineOption m_clampSet;
};

}  // namespace gyrus::cli
