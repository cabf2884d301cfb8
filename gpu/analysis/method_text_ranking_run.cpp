#include "gpu/analysis/method_text_ranking_run.h"

#include "gpu/analysis/method_comparison.h"

#include <algorithm>
#include <numeric>

namespace gyrus::gpu {

QList<int> rankTextsByClassifier(const EnsembleClassifier &fit, const FloatMatrix &texts, int top)
{
    std::vector<double> logit(size_t(texts.rows), fit.intercept);
    for (int64_t t = 0; t < texts.rows; ++t) {
        for (size_t j = 0; j < fit.features.size(); ++j) {
            const double x = texts.values[size_t(t * texts.cols + fit.features[j])];
            logit[size_t(t)] += fit.weights[j] * (x - fit.means[j]) / fit.sds[j];
        }
    }
    std::vector<int> order(size_t(texts.rows));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&logit](int a, int b) { return logit[size_t(a)] > logit[size_t(b)]; });
    QList<int> out;
    for (int i = 0; i < std::min<int>(top, int(order.size())); ++i) {
        out << order[size_t(i)];
    }
    return out;
}

struct MethodTextRankingRun::State
{
    std::vector<SelectionMethod> methods;
    int k = 0;
    int top = 0;
    TableSource source;
    int representation = 0;  ///< 0 raw, 1 SAE, 2 done
    bool haveTable = false;
    size_t nextMethod = 0;
    TextRankingTable table;
    MethodTextRankings rankings;
};

Result<std::unique_ptr<MethodTextRankingRun>> MethodTextRankingRun::start(
        std::vector<SelectionMethod> methods, int k, int top, TableSource source)
{
    if (methods.empty() || k < 1 || top < 1) {
        return Status::invalidInput(
                QStringLiteral("the ranking needs a selection method, k ≥ 1 and top ≥ 1"));
    }
    for (SelectionMethod m : methods) {
        if (isTemporalMethod(m)) {
            return Status::invalidInput(
                    QStringLiteral("%1 reads time courses; the corpus lines are pooled")
                            .arg(nameOf(m)));
        }
    }
    std::unique_ptr<MethodTextRankingRun> run(new MethodTextRankingRun);
    run->m_state = std::make_shared<State>();
    run->m_state->methods = std::move(methods);
    run->m_state->k = k;
    run->m_state->top = top;
    run->m_state->source = std::move(source);
    return run;
}

Status MethodTextRankingRun::step()
{
    State &s = *m_state;
    if (s.representation >= 2) {
        return Status::ok();
    }
    const bool sae = s.representation == 1;
    if (!s.haveTable) {
        Result<TextRankingTable> table = s.source(sae);
        if (!table) {
            return table.status();
        }
        if (table->texts.cols != table->items.cols) {
            return Status::invalidInput(
                    QStringLiteral("the corpus lines and the prompts were read differently"));
        }
        s.table = std::move(table).value();
        s.haveTable = true;
        s.nextMethod = 0;
        return Status::ok();
    }
    const SelectionMethod method = s.methods[s.nextMethod];
    Result<std::vector<double>> scores = featureScores(s.table.items, s.table.labels, method);
    if (!scores) {
        return scores.status();
    }
    // The classifier decodes the concept (label 0, level A) as its label 1.
    std::vector<int64_t> concept(s.table.labels.size());
    for (size_t i = 0; i < concept.size(); ++i) {
        concept[i] = 1 - s.table.labels[i];
    }
    const std::vector<int64_t> features = topFeatures(scores.value(), s.k);
    Result<EnsembleClassifier> fit = fitEnsembleClassifier(s.table.items, concept, features);
    if (!fit) {
        return fit.status();
    }
    MethodTextRanking r;
    r.representation = sae ? QStringLiteral("sae") : QStringLiteral("raw");
    r.method = method;
    r.features.assign(features.begin(), features.end());
    r.weights = fit->weights;
    r.top = rankTextsByClassifier(fit.value(), s.table.texts, s.top);
    s.rankings.append(r);
    if (++s.nextMethod == s.methods.size()) {
        ++s.representation;
        s.haveTable = false;
        s.table = TextRankingTable();
    }
    return Status::ok();
}

bool MethodTextRankingRun::isFinished() const
{
    return m_state->representation >= 2;
}

double MethodTextRankingRun::fraction() const
{
    const State &s = *m_state;
    const double perRepresentation = 2.0 * double(s.methods.size());  // the table, then rankings
    const double done = double(s.representation) * perRepresentation +
                        (s.haveTable ? double(s.methods.size()) + double(s.nextMethod) : 0.0);
    return std::min(1.0, done / (2.0 * perRepresentation));
}

QString MethodTextRankingRun::stageText() const
{
    const State &s = *m_state;
    if (s.representation >= 2) {
        return QStringLiteral("ranked");
    }
    const QString what = s.representation == 1 ? QStringLiteral("SAE features")
                                               : QStringLiteral("raw activations");
    if (!s.haveTable) {
        return what + QStringLiteral(": representing the prompts and the corpus");
    }
    return what + QStringLiteral(": ranking by %1 (%2 of %3)")
                          .arg(nameOf(s.methods[s.nextMethod]))
                          .arg(s.nextMethod + 1)
                          .arg(s.methods.size());
}

const MethodTextRankings &MethodTextRankingRun::rankings() const
{
    return m_state->rankings;
}

}  // namespace gyrus::gpu
