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
#include "app/cli/number_options.h"
#include "core/llm/chat_job.h"
#include "core/llm/method_judging.h"
#include "core/llm/scoring.h"
#include "gpu/analysis/feature_selection.h"
#include "gpu/analysis/method_text_ranking_run.h"

#include <QFile>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

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
    const Result<int64_t> featureCount = integerValue(parser, k, 1);
    const Result<int64_t> topTexts = integerValue(parser, top, 2);
    const Result<int64_t> permutationCount = integerValue(parser, permutations, 0);
    for (const Status &status :
         {featureCount.status(), topTexts.status(), permutationCount.status()}) {
        if (!status.isOk()) {
            return failWith(name, status);
        }
    }
    const int count = int(*featureCount);
    const int topN = int(*topTexts);
    const int perms = int(*permutationCount);
    std::vector<SelectionMethod> chosen;
    for (const QString &method :
         parser.value(methods).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const std::optional<SelectionMethod> m = fromName<SelectionMethod>(method.trimmed());
        if (!m || isTemporalMethod(*m)) {
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

    // The same stepper as the Contrasts dock's engine request, driven to the end here.
    Result<std::unique_ptr<gpu::MethodTextRankingRun>> run = gpu::MethodTextRankingRun::start(
            chosen, count, topN, [&](bool sae) -> Result<gpu::TextRankingTable> {
                std::fprintf(stderr, "%s: %s representations of the prompts and the corpus\n",
                             qPrintable(name), sae ? "SAE" : "raw");
                gpu::TextRankingTable table;
                Result<FeatureTable> read =
                        tables.readWithTexts(parser, sae, texts.value(), &table.texts);
                if (!read) {
                    return read.status();
                }
                table.items = read->x;
                table.labels = read->labels;  // 0: the first level, the concept
                return table;
            });
    if (!run) {
        return failWith(name, run.status());
    }
    while (!run.value()->isFinished()) {
        if (Status stepped = run.value()->step(); !stepped.isOk()) {
            return failWith(name, stepped);
        }
    }
    const MethodTextRankings ranked = run.value()->rankings();
    // One random draw for the baseline, the same for every method; each distinct text is rated
    // once (with its repeats), whichever lists it is on.
    const QList<int> random = randomBaselineLines(int(texts->size()), topN, protocol->seed);
    const QList<int> rated = linesToRate(ranked, random);
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
    Result<MethodJudgement> judgement =
            judgeMethods(parser.value(concept), backend.value()->describe(), protocol.value(),
                         count, perms, texts.value(), ranked, random, rated, scored.value());
    if (!judgement) {
        return failWith(name, judgement.status());
    }
    printJson(methodJudgementJson(judgement.value()));
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
