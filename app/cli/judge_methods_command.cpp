// gyrus-cli judge-methods: the original study's LLM-judged comparison of feature-finding methods
// (seed_pipeline.md §8.6-8.7, §8.10-8.11), done properly. For each representation (raw, SAE) ×
// selection method, the k features the method picks on the prompt set, weighted by the
// classifier that decodes the concept (the factor's first level) from them, rank held-out corpus
// texts; the judge rates the top N and a random draw of N texts for relevance to the concept
// (0-3, temperature 0, fixed seed, repeats), and the ratings are compared as ordinal data:
// each method against the random baseline (Mann-Whitney, permutation p) and all methods together
// (Kruskal-Wallis, permutation p), with means and t 95 % CIs.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/feature_table.h"
#include "app/cli/judge_options.h"
#include "core/llm/chat_job.h"
#include "core/llm/scoring.h"
#include "core/rank_tests.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/method_comparison.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

namespace gyrus::cli {

namespace {

struct RankedMethod
{
    QString representation;
    QString method;
    std::vector<int64_t> features;
    std::vector<double> weights;
    QList<int> top;  ///< corpus line indices, best first
};

QJsonObject intervalJson(const Interval &i)
{
    return {{QStringLiteral("mean"), i.estimate},
            {QStringLiteral("ci"), QJsonArray{i.low, i.high}}};
}

// The classifier's log-odds of the first level for every text, best first (ties by line).
QList<int> rankTexts(const gpu::EnsembleClassifier &fit, const FloatMatrix &texts, int top)
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

Result<QStringList> readLines(const QString &path)
{
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return Status::notFound(QStringLiteral("%1: cannot open (%2)").arg(path, in.errorString()));
    }
    QStringList lines;
    for (const QString &line : QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty()) {
            lines << line.trimmed();
        }
    }
    if (lines.isEmpty()) {
        return Status::invalidInput(path + QStringLiteral(": no texts"));
    }
    return lines;
}

int runJudgeMethods(const QStringList &arguments)
{
    const QString name = QStringLiteral("judge-methods");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "The original study's LLM-judged comparison of feature-finding methods, with "
            "statistics. For raw activations (at the --sae's hook) and SAE features, each "
            "--methods method picks k features on the prompt set; an L2 logistic regression on "
            "them (standardised) decodes the first level of the factor (the concept); it ranks "
            "the --corpus texts (one per line, held out from the prompt set), and the judge rates "
            "the --top best and --top random texts (one draw, shared by every method) for "
            "relevance to --concept on the 0-3 scale at temperature 0 with --repeats. JSON: per "
            "method its features, its texts with their mean rating, the mean and t 95 % CI, the "
            "Mann-Whitney U against the random texts with a permutation p; the random "
            "baseline; Kruskal-Wallis H over all methods with a permutation p. Nothing is sent "
            "without --endpoint."));
    const JudgeOptions judge(parser);
    const QCommandLineOption corpus(QStringLiteral("corpus"),
                                    QStringLiteral("Held-out texts, one per line."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption concept(QStringLiteral("concept"),
                                     QStringLiteral("The concept the judge rates against."),
                                     QStringLiteral("TEXT"));
    const QCommandLineOption methods(
            QStringLiteral("methods"),
            QStringLiteral("Comma-separated selection methods on pooled values."),
            QStringLiteral("LIST"),
            QStringLiteral("mean-difference,univariate,pooled-separation-r"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("Features per method."),
                               QStringLiteral("K"), QStringLiteral("8"));
    const QCommandLineOption top(QStringLiteral("top"),
                                 QStringLiteral("Texts rated per method and for the baseline."),
                                 QStringLiteral("N"), QStringLiteral("15"));
    const QCommandLineOption permutations(QStringLiteral("permutations"),
                                          QStringLiteral("Permutations of the ordinal tests."),
                                          QStringLiteral("N"), QStringLiteral("9999"));
    parser.addOptions({corpus, concept, methods, k, top, permutations});
    const FeatureTableOptions tables(parser, name);
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(corpus) || !parser.isSet(concept) || !tables.fromPrompts(parser) ||
        !parser.isSet(tables.saeOption())) {
        return fail(name, QStringLiteral("give --corpus, --concept, --model, --prompts and --sae"));
    }
    bool ok[3] = {};
    const int count = parser.value(k).toInt(&ok[0]);
    const int topN = parser.value(top).toInt(&ok[1]);
    const int perms = parser.value(permutations).toInt(&ok[2]);
    if (!ok[0] || !ok[1] || !ok[2] || count < 1 || topN < 2 || perms < 0) {
        return fail(name, QStringLiteral("--k, --top (≥ 2) and --permutations take integers"));
    }
    std::vector<gpu::SelectionMethod> chosen;
    for (const QString &method :
         parser.value(methods).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const std::optional<gpu::SelectionMethod> m =
                gpu::selectionMethodFromName(method.trimmed());
        if (!m || gpu::isTemporalMethod(*m)) {
            return fail(name, QStringLiteral("unknown or temporal method '%1' (pooled methods: "
                                             "mean-difference, univariate, pooled-separation-r, "
                                             "pooled-separation-d, seed-max-activation)")
                                      .arg(method));
        }
        chosen.push_back(*m);
    }
    Result<gyrus::JudgeOptions> protocol = judge.protocol(parser);
    if (!protocol) {
        return failWith(name, protocol.status());
    }
    // The judge first: without an endpoint nothing is computed.
    Result<std::unique_ptr<ChatBackend>> backend = judge.backend(parser);
    if (!backend) {
        return failWith(name, backend.status());
    }
    Result<QStringList> texts = readLines(parser.value(corpus));
    if (!texts) {
        return failWith(name, texts.status());
    }
    if (texts->size() < 2 * topN) {
        return fail(name, QStringLiteral("%1: %2 texts; --top %3 needs at least %4")
                                  .arg(parser.value(corpus))
                                  .arg(texts->size())
                                  .arg(topN)
                                  .arg(2 * topN));
    }

    std::vector<RankedMethod> ranked;
    for (bool sae : {false, true}) {
        FloatMatrix textValues;
        std::fprintf(stderr, "%s: %s representations of the prompts and the corpus\n",
                     qPrintable(name), sae ? "SAE" : "raw");
        Result<FeatureTable> table = tables.readWithTexts(parser, sae, texts.value(), &textValues);
        if (!table) {
            return failWith(name, table.status());
        }
        std::vector<int64_t> concept1(table->labels.size());  // label 1: the first level
        for (size_t i = 0; i < concept1.size(); ++i) {
            concept1[i] = 1 - table->labels[i];
        }
        for (gpu::SelectionMethod method : chosen) {
            Result<std::vector<double>> scores =
                    gpu::featureScores(table->x, table->labels, method);
            if (!scores) {
                return failWith(name, scores.status());
            }
            RankedMethod r;
            r.representation = sae ? QStringLiteral("sae") : QStringLiteral("raw");
            r.method = gpu::selectionMethodName(method);
            r.features = gpu::topFeatures(scores.value(), count);
            Result<gpu::EnsembleClassifier> fit =
                    gpu::fitEnsembleClassifier(table->x, concept1, r.features);
            if (!fit) {
                return failWith(name, fit.status());
            }
            r.weights = fit->weights;
            r.top = rankTexts(fit.value(), textValues, topN);
            ranked.push_back(r);
        }
    }
    // One random draw for the baseline, the same for every method.
    std::vector<int> all(size_t(texts->size()));
    std::iota(all.begin(), all.end(), 0);
    std::mt19937_64 rng(uint64_t(protocol->seed));
    std::shuffle(all.begin(), all.end(), rng);
    const QList<int> random(all.begin(), all.begin() + topN);

    // Each distinct text is rated once (with its repeats), whichever lists it is on.
    QList<int> rated;
    auto rate = [&rated](const QList<int> &lines) {
        for (int line : lines) {
            if (!rated.contains(line)) {
                rated << line;
            }
        }
    };
    for (const RankedMethod &r : ranked) {
        rate(r.top);
    }
    rate(random);
    QStringList ratedTexts;
    for (int line : rated) {
        ratedTexts << texts->at(line);
    }
    const RelevancePlan plan = planRelevance(parser.value(concept), ratedTexts, protocol.value());
    ChatJob job(backend.value().get(), plan.requests);
    QObject::connect(&job, &ChatJob::progress, [&](int done, int total, double eta) {
        std::fprintf(stderr, "%s: judged %d/%d%s\n", qPrintable(name), done, total,
                     eta >= 0 ? qPrintable(QStringLiteral(", ETA %1 s").arg(std::ceil(eta))) : "");
    });
    if (Status ran = runToCompletion(job); !ran.isOk()) {
        return failWith(name, ran);
    }
    Result<RelevanceResult> scored =
            scoreRelevance(plan, int(ratedTexts.size()), job.statuses(), job.replies());
    if (!scored) {
        return failWith(name, scored.status());
    }
    // Texts whose every answer failed to parse are left out of the statistics, and counted.
    auto ratingsOf = [&](const QList<int> &lines, QJsonArray *json) {
        std::vector<double> ratings;
        for (int line : lines) {
            const double mean = scored->meanScore[rated.indexOf(line)];
            json->append(QJsonObject{{QStringLiteral("line"), line + 1},
                                     {QStringLiteral("text"), texts->at(line)},
                                     {QStringLiteral("mean_rating"),
                                      std::isfinite(mean) ? QJsonValue(mean) : QJsonValue()}});
            if (std::isfinite(mean)) {
                ratings.push_back(mean);
            }
        }
        return ratings;
    };
    auto interval = [](const std::vector<double> &v) {
        return meanInterval(QVector<double>(v.begin(), v.end()));
    };
    QJsonArray baselineTexts;
    const std::vector<double> baseline = ratingsOf(random, &baselineTexts);
    QJsonArray results;
    std::vector<std::vector<double>> groups;
    for (const RankedMethod &r : ranked) {
        QJsonArray textsJson;
        const std::vector<double> ratings = ratingsOf(r.top, &textsJson);
        groups.push_back(ratings);
        QJsonArray features;
        for (size_t j = 0; j < r.features.size(); ++j) {
            features.append(QJsonObject{{QStringLiteral("feature"), qint64(r.features[j])},
                                        {QStringLiteral("weight"), r.weights[j]}});
        }
        results.append(QJsonObject{
                {QStringLiteral("representation"), r.representation},
                {QStringLiteral("method"), r.method},
                {QStringLiteral("features"), features},
                {QStringLiteral("rating"), intervalJson(interval(ratings))},
                {QStringLiteral("rated_texts"), int(ratings.size())},
                {QStringLiteral("u_vs_random"), mannWhitneyU(ratings, baseline)},
                {QStringLiteral("p_vs_random"),
                 mannWhitneyPermutationP(ratings, baseline, perms, uint64_t(protocol->seed))},
                {QStringLiteral("texts"), textsJson}});
    }
    printJson(
            QJsonObject{{QStringLiteral("concept"), parser.value(concept)},
                        {QStringLiteral("judge"), backend.value()->describe()},
                        {QStringLiteral("prompt_version"), QLatin1String(kRelevancePromptVersion)},
                        {QStringLiteral("repeats"), protocol->repeats},
                        {QStringLiteral("temperature"), protocol->temperature},
                        {QStringLiteral("seed"), QString::number(protocol->seed)},
                        {QStringLiteral("k"), count},
                        {QStringLiteral("top"), topN},
                        {QStringLiteral("permutations"), perms},
                        {QStringLiteral("corpus_texts"), int(texts->size())},
                        {QStringLiteral("random_baseline"),
                         QJsonObject{{QStringLiteral("rating"), intervalJson(interval(baseline))},
                                     {QStringLiteral("texts"), baselineTexts}}},
                        {QStringLiteral("kruskal_wallis_h"), kruskalWallisH(groups)},
                        {QStringLiteral("kruskal_wallis_p"),
                         kruskalWallisPermutationP(groups, perms, uint64_t(protocol->seed))},
                        {QStringLiteral("results"), results},
                        {QStringLiteral("failed_requests"), scored->failedRequests},
                        {QStringLiteral("errors"), QJsonArray::fromStringList(scored->errors)}});
    return kExitOk;
}

}  // namespace

Command judgeMethodsCommand()
{
    return {QStringLiteral("judge-methods"),
            QStringLiteral("The LLM-judged comparison of feature-finding methods, with "
                           "statistics."),
            &runJudgeMethods};
}

}  // namespace gyrus::cli
