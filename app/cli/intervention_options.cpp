#include "app/cli/intervention_options.h"

#include "app/cli/number_options.h"

#include <QFile>

namespace gyrus::cli {

InterventionOptions::InterventionOptions(QCommandLineParser &parser)
    : m_ablateHead(QStringLiteral("ablate-head"),
                   QStringLiteral("Ablate attention head LAYER.HEAD: its output before W_O set to "
                                  "zero, or with =mean to its mean over the prompt (repeatable)."),
                   QStringLiteral("L.H[=zero|mean]"))
    , m_steerVector(QStringLiteral("steer-vector"),
                    QStringLiteral("Add --alpha × this vector (a `gyrus-cli concept-vector` JSON) "
                                   "at its hook to every position after BOS."),
                    QStringLiteral("FILE"))
    , m_alpha(QStringLiteral("alpha"), QStringLiteral("Strength of --steer-vector (default 1)."),
              QStringLiteral("A"), QStringLiteral("1"))
{
    parser.addOptions({m_ablateHead, m_steerVector, m_alpha});
}

Result<Interventions> InterventionOptions::interventions(const QCommandLineParser &parser) const
{
    Interventions out;
    for (const QString &text : parser.values(m_ablateHead)) {
        const std::optional<HeadAblation> ablation = parseHeadAblation(text);
        if (!ablation) {
            return Status::invalidInput(
                    QStringLiteral("--ablate-head: '%1' is not LAYER.HEAD, LAYER.HEAD=zero or "
                                   "LAYER.HEAD=mean")
                            .arg(text));
        }
        out.heads.append(*ablation);
    }
    const Result<double> alpha = numberValue(parser, m_alpha);
    if (!alpha) {
        return alpha.status();
    }
    if (parser.isSet(m_steerVector)) {
        const QString path = parser.value(m_steerVector);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return Status::notFound(QStringLiteral("--steer-vector: cannot read %1: %2")
                                            .arg(path, file.errorString()));
        }
        Result<SteeringVector> vector = steeringVectorFromJson(file.readAll(), path, *alpha);
        if (!vector) {
            return vector.status();
        }
        out.vectors.append(vector.value());
    } else if (parser.isSet(m_alpha)) {
        return Status::invalidInput(QStringLiteral("--alpha needs --steer-vector FILE"));
    }
    return out;
}

}  // namespace gyrus::cli
