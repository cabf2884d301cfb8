#include "core/llm/method_judging.h"

#include "core/rsa/rank_tests.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus {

namespace {

QJsonObject intervalJson(const Interval &i)
{
    return {{QStringLiteral("mean"), i.estimate},
            {QStringLiteral("ci"), QJsonArray{i.low, i.high}}};
}

Interval intervalFromJson(const QJsonObject &json)
{
    const QJsonArray ci = json.value(QStringLiteral("ci")).toArray();
    return {json.value(QStringLiteral("mean")).toDouble(std::nan("")),
            ci.at(0).toDouble(std::nan("")), ci.at(1).toDouble(std::nan(""))};
}

std::vector<double> finite(const QVector<double> &values)
{
    std::vector<double> out;
    for (double v : values) {
        if (std::isfinite(v)) {
            out.push_back(v);
        }
    }
    return out;
}

JudgedList judgedList(const QList<int> &lines, const QList<int> &rated,
                      const RelevanceResult &scored)
{
    JudgedList list;
    list.lines = lines;
    for (int line : lines) {
        list.meanRatings.append(scored.meanScore.value(rated.indexOf(line), std::nan("")));
    }
    const std::vector<double> values = finite(list.meanRatings);
    list.ratedTexts = int(values.size());
    list.rating = meanInterval(QVector<double>(values.begin(), values.end()));
    return list;
}

QJsonArray textsJson(const JudgedList &list, const QStringList &corpus)
{
    QJsonArray texts;
    for (qsizetype i = 0; i < list.lines.size(); ++i) {
        const double mean = list.meanRatings.value(i, std::nan(""));
        texts.append(QJsonObject{{QStringLiteral("line"), list.lines[i] + 1},
                                 {QStringLiteral("text"), corpus.value(list.lines[i])},
                                 {QStringLiteral("mean_rating"),
                                  std::isfinite(mean) ? QJsonValue(mean) : QJsonValue()}});
    }
    return texts;
}

// Texts whose every answer failed to parse have no rating (null), and are left out.
JudgedList listFromJson(const QJsonObject &json, QStringList *corpus)
{
    JudgedList list;
    for (const QJsonValue &value : json.value(QStringLiteral("texts")).toArray()) {
        const QJsonObject text = value.toObject();
        const int line = text.value(QStringLiteral("line")).toInt() - 1;
        list.lines.append(line);
        const QJsonValue rating = text.value(QStringLiteral("mean_rating"));
        list.meanRatings.append(rating.isDouble() ? rating.toDouble() : std::nan(""));
        if (line >= 0 && line < corpus->size()) {
            (*corpus)[line] = text.value(QStringLiteral("text")).toString();
        }
    }
    list.rating = intervalFromJson(json.value(QStringLiteral("rating")).toObject());
    list.ratedTexts = int(finite(list.meanRatings).size());
    return list;
}

}  // namespace

QList<int> randomBaselineLines(int corpusSize, int top, qint64 seed)
{
    std::vector<int> all(size_t(std::max(0, corpusSize)));
    std::iota(all.begin(), all.end(), 0);
    std::mt19937_64 rng{uint64_t(seed)};
    std::shuffle(all.begin(), all.end(), rng);
    return QList<int>(all.begin(),
                      all.begin() + std::min<size_t>(size_t(std::max(0, top)), all.size()));
}

QList<int> linesToRate(const QList<MethodTextRanking> &rankings, const QList<int> &baseline)
{
    QList<int> rated;
    auto add = [&rated](const QList<int> &lines) {
        for (int line : lines) {
            if (!rated.contains(line)) {
                rated << line;
            }
        }
    };
    for (const MethodTextRanking &r : rankings) {
        add(r.top);
    }
    add(baseline);
    return rated;
}

Result<MethodJudgement> judgeMethods(const QString &concept, const QString &judge,
                                     const JudgeOptions &options, int k, int permutations,
                                     const QStringList &corpus,
                                     const QList<MethodTextRanking> &rankings,
                                     const QList<int> &baseline, const QList<int> &rated,
                                     const RelevanceResult &scored)
{
    if (scored.meanScore.size() != rated.size()) {
        return Status::invalidInput(QStringLiteral("%1 ratings for %2 rated texts")
                                            .arg(scored.meanScore.size())
                                            .arg(rated.size()));
    }
    MethodJudgement j;
    j.concept = concept;
    j.judge = judge;
    j.options = options;
    j.k = k;
    j.top = int(baseline.size());
    j.permutations = permutations;
    j.corpus = corpus;
    j.baseline = judgedList(baseline, rated, scored);
    j.failedRequests = scored.failedRequests;
    j.errors = scored.errors;
    const std::vector<double> random = finite(j.baseline.meanRatings);
    std::vector<std::vector<double>> groups;
    for (const MethodTextRanking &r : rankings) {
        JudgedMethod m;
        m.ranking = r;
        m.list = judgedList(r.top, rated, scored);
        const std::vector<double> ratings = finite(m.list.meanRatings);
        m.uVsRandom = mannWhitneyU(ratings, random);
        m.pVsRandom =
                mannWhitneyPermutationP(ratings, random, permutations, uint64_t(options.seed));
        groups.push_back(ratings);
        j.methods.append(m);
    }
    j.kruskalWallisH = kruskalWallisH(groups);
    j.kruskalWallisP = kruskalWallisPermutationP(groups, permutations, uint64_t(options.seed));
    return j;
}

QJsonObject methodJudgementJson(const MethodJudgement &j)
{
    QJsonArray results;
    for (const JudgedMethod &m : j.methods) {
        QJsonArray features;
        for (size_t f = 0; f < m.ranking.features.size(); ++f) {
            features.append(QJsonObject{
                    {QStringLiteral("feature"), m.ranking.features[f]},
                    {QStringLiteral("weight"), f < m.ranking.weights.size()
                                                       ? QJsonValue(m.ranking.weights[f])
                                                       : QJsonValue()}});
        }
        results.append(QJsonObject{{QStringLiteral("representation"), m.ranking.representation},
                                   {QStringLiteral("method"), nameOf(m.ranking.method)},
                                   {QStringLiteral("features"), features},
                                   {QStringLiteral("rating"), intervalJson(m.list.rating)},
                                   {QStringLiteral("rated_texts"), m.list.ratedTexts},
                                   {QStringLiteral("u_vs_random"), m.uVsRandom},
                                   {QStringLiteral("p_vs_random"), m.pVsRandom},
                                   {QStringLiteral("texts"), textsJson(m.list, j.corpus)}});
    }
    return {{QStringLiteral("concept"), j.concept},
            {QStringLiteral("judge"), j.judge},
            {QStringLiteral("prompt_version"), QLatin1String(kRelevancePromptVersion)},
            {QStringLiteral("repeats"), j.options.repeats},
            {QStringLiteral("temperature"), j.options.temperature},
            {QStringLiteral("seed"), QString::number(j.options.seed)},
            {QStringLiteral("k"), j.k},
            {QStringLiteral("top"), j.top},
            {QStringLiteral("permutations"), j.permutations},
            {QStringLiteral("corpus_texts"), int(j.corpus.size())},
            {QStringLiteral("random_baseline"),
             QJsonObject{{QStringLiteral("rating"), intervalJson(j.baseline.rating)},
                         {QStringLiteral("texts"), textsJson(j.baseline, j.corpus)}}},
            {QStringLiteral("kruskal_wallis_h"), j.kruskalWallisH},
            {QStringLiteral("kruskal_wallis_p"), j.kruskalWallisP},
            {QStringLiteral("results"), results},
            {QStringLiteral("failed_requests"), j.failedRequests},
            {QStringLiteral("errors"), QJsonArray::fromStringList(j.errors)}};
}

Result<MethodJudgement> methodJudgementFromJson(const QJsonObject &json)
{
    const QJsonArray results = json.value(QStringLiteral("results")).toArray();
    if (!json.contains(QStringLiteral("random_baseline")) || results.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("the judged method comparison has no results or no baseline"));
    }
    MethodJudgement j;
    j.concept = json.value(QStringLiteral("concept")).toString();
    j.judge = json.value(QStringLiteral("judge")).toString();
    j.options.repeats = json.value(QStringLiteral("repeats")).toInt();
    j.options.temperature = json.value(QStringLiteral("temperature")).toDouble();
    j.options.seed = json.value(QStringLiteral("seed")).toString().toLongLong();
    j.k = json.value(QStringLiteral("k")).toInt();
    j.top = json.value(QStringLiteral("top")).toInt();
    j.permutations = json.value(QStringLiteral("permutations")).toInt();
    // Only the rated lines' texts are kept; the rest of the corpus stays in its file.
    j.corpus = QStringList(json.value(QStringLiteral("corpus_texts")).toInt());
    j.baseline = listFromJson(json.value(QStringLiteral("random_baseline")).toObject(), &j.corpus);
    for (const QJsonValue &value : results) {
        const QJsonObject r = value.toObject();
        JudgedMethod m;
        m.ranking.representation = r.value(QStringLiteral("representation")).toString();
        Result<SelectionMethod> method =
                parseName<SelectionMethod>(r.value(QStringLiteral("method")).toString());
        if (!method) {
            return method.status();
        }
        m.ranking.method = method.value();
        for (const QJsonValue &f : r.value(QStringLiteral("features")).toArray()) {
            m.ranking.features.push_back(f[QStringLiteral("feature")].toInt());
            m.ranking.weights.push_back(f[QStringLiteral("weight")].toDouble(std::nan("")));
        }
        m.list = listFromJson(r, &j.corpus);
        m.ranking.top = m.list.lines;
        m.uVsRandom = r.value(QStringLiteral("u_vs_random")).toDouble();
        m.pVsRandom = r.value(QStringLiteral("p_vs_random")).toDouble(1);
        j.methods.append(m);
    }
    j.kruskalWallisH = json.value(QStringLiteral("kruskal_wallis_h")).toDouble();
    j.kruskalWallisP = json.value(QStringLiteral("kruskal_wallis_p")).toDouble(1);
    j.failedRequests = json.value(QStringLiteral("failed_requests")).toInt();
    for (const QJsonValue &e : json.value(QStringLiteral("errors")).toArray()) {
        j.errors << e.toString();
    }
    return j;
}

}  // namespace gyrus
