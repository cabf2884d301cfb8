#pragma once
// The interventions of `gyrus-cli generate` beside clamps (CLI parity with the steering dock):
// --ablate-head L.H[=zero|mean] (repeatable) and --steer-vector FILE (a `gyrus-cli
// concept-vector` JSON) with --alpha, turned into the same Interventions the dock sends.

#include "core/base/status.h"
#include "core/steering/interventions.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace gyrus::cli {

class InterventionOptions
{
public:
    explicit InterventionOptions(QCommandLineParser &parser);

    /// Errors name the option and the bad text, or the file.
    Result<Interventions> interventions(const QCommandLineParser &parser) const;

private:
    QCommandLineOption m_ablateHead;
    QCommandLineOption m_steerVector;
    QCommandLineOption m_alpha;
};

}  // namespace gyrus::cli
