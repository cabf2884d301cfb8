#pragma once
// The model's part of the LLM-judged method comparison as a stepper
// (core/contrasts/method_text_ranking.h): for raw activations, then SAE features, one step computes
// the representation's table (the prompt set's items and the corpus lines, which runs the model),
// then one step per selection method picks its k features, fits the classifier of the concept on
// them and ranks the corpus lines by its log-odds. The engine runs it in slices with progress and
// cancel; `gyrus-cli judge-methods` drives the same class to the end. Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/contrasts/method_text_ranking.h"
#include "gpu/analysis/feature_selection.h"

#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

struct EnsembleClassifier;

/// A representation's values: the prompt items (labels 0 for the concept's level A, 1 for B)
/// and the corpus lines, read the same way.
struct TextRankingTable
{
    FloatMatrix items;
    std::vector<int64_t> labels;
    FloatMatrix texts;
};

/// The corpus lines ranked by the classifier's log-odds of the concept, best first (ties by
/// line), the first `top` of them.
QList<int> rankTextsByClassifier(const EnsembleClassifier &fit, const FloatMatrix &texts, int top);

class MethodTextRankingRun
{
public:
    /// Computes a representation's table (runs the model); `sae` false: raw activations.
    using TableSource = std::function<Result<TextRankingTable>(bool sae)>;

    /// InvalidInput for no methods, a temporal method, k < 1 or top < 1.
    static Result<std::unique_ptr<MethodTextRankingRun>> start(std::vector<SelectionMethod> methods,
                                                               int k, int top, TableSource source);

    /// One piece: the next representation's table or the next method's ranking.
    Status step();

    bool isFinished() const;
    /// 0 … 1; a table counts as much as all of its representation's rankings.
    double fraction() const;
    /// "raw activations: representing the prompts and the corpus", "SAE features: ranking by
    /// univariate (2 of 3)".
    QString stageText() const;

    const MethodTextRankings &rankings() const;

private:
    MethodTextRankingRun() = default;

    struct State;
    std::shared_ptr<State> m_state;
};

}  // namespace gyrus::gpu
