#pragma once
// The model's part of the LLM-judged method comparison (core/llm/method_judging.h): for each
// representation (raw activations at the SAE's hook, SAE features) × selection method, the k
// features the method picks on the prompt set, the classifier that decodes the concept (level A)
// from them, and the held-out corpus lines it ranks highest. Plain values.

#include "core/contrasts/contrast_requests.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace gyrus {

/// One representation × method: its k features, their classifier weights (towards the concept)
/// and the corpus lines (0-based) the classifier ranks highest, best first.
struct MethodTextRanking
{
    QString representation;  ///< "raw" or "sae"
    SelectionMethod method = SelectionMethod::MeanDifference;
    std::vector<int> features;
    std::vector<double> weights;
    QList<int> top;
};

/// What the engine ranks: the prompt set, factor and levels (A: the concept) and pooling of
/// `source` (its hook and representation are ignored: both representations are read at the
/// SAE's hook), the corpus lines, the pooled selection methods, k and how many lines to keep.
struct TextRankingRequest
{
    ContrastSource source;
    QStringList corpus;
    QList<SelectionMethod> methods;  ///< pooled selection methods
    int k = 8;
    int top = 15;
};

using MethodTextRankings = QList<MethodTextRanking>;
using MethodTextRankingsPtr = std::shared_ptr<const MethodTextRankings>;

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::TextRankingRequest)
Q_DECLARE_METATYPE(gyrus::MethodTextRankingsPtr)
