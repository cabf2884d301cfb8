// gyrus-cli score detection|relevance: how well a label predicts where a feature is active
// (detection: balanced accuracy and AUC), and how relevant texts are to a concept on the seed's
// 0-3 scale; each at temperature 0 with a fixed seed and repeats, with 95 % CIs.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/judge_options.h"
#include "app/cli/number_options.h"
#include "app/cli/scan_json.h"
#include "core/llm/chat_job.h"
#include "core/llm/detection_examples.h"
#include "core/llm/explanation.h"
#include "core/llm/scoring.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

QJsonObject intervalJson(const Interval &i)
{
    return {{QStringLiteral("estimate"), i.estimate},
            {QStringLiteral("ci95"), QJsonArray{i.low, i.high}}};
}

QJsonValue number(double v)
{
    return std::isnan(v) ? QJsonValue() : QJsonValue(v);
}

Status runJob(ChatBackend &backend, const QList<ChatRequest> &requests, const QString &what,
              QList<Status> &statuses, QList<ChatReply> &replies)
{
    ChatJob job(&backend, requests);
    QObject::connect(&job, &ChatJob::progress, [&](int done, int total, double) {
        std::fprintf(stderr, "%s: %d/%d\n", qPrintable(what), done, total);
    });
    const Status status = runToCompletion(job);
    statuses = job.statuses();
    replies = job.replies();
    return status;
}

int runDetection(const QStringList &arguments)
{
    const QString name = QStringLiteral("score detection");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Detection scoring: the judge sees a feature's label and a shuffled mix of its "
            "activating examples (top and quantile examples of the scan) and non-activating ones "
            "(other features' examples at tokens where this feature is not among its examples), "
            "and says which activate. JSON: balanced accuracy (mean over repeats, t 95 % CI) and "
            "AUC of the mean votes (stratified bootstrap 95 % CI)."));
    const JudgeOptions judge(parser);
    const QCommandLineOption scan(QStringLiteral("scan"), QStringLiteral("Scan JSON."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption feature(QStringLiteral("feature"), QStringLiteral("Feature index."),
                                     QStringLiteral("F"));
    const QCommandLineOption label(QStringLiteral("label"), QStringLiteral("Label to score."),
                                   QStringLiteral("TEXT"));
    const QCommandLineOption description(QStringLiteral("description"),
                                         QStringLiteral("Its description (optional)."),
                                         QStringLiteral("TEXT"));
    const QCommandLineOption explanations(
            QStringLiteral("explanations"),
            QStringLiteral("gyrus-cli explain output to take the label from."),
            QStringLiteral("FILE"));
    parser.addOptions({scan, feature, label, description, explanations});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(scan) || !parser.isSet(feature)) {
        return fail(name, QStringLiteral("--scan and --feature are required"));
    }
    Result<gyrus::JudgeOptions> protocol = judge.protocol(parser);
    if (!protocol) {
        return failWith(name, protocol.status());
    }
    Result<ScanFile> file = readScanJson(parser.value(scan));
    if (!file) {
        return failWith(name, file.status());
    }
    const Result<int64_t> chosen = integerValue(parser, feature, 0, file->features.size() - 1);
    if (!chosen) {
        return failWith(name, chosen.status());
    }
    const int f = int(*chosen);
    QString labelText = parser.value(label);
    QString descriptionText = parser.value(description);
    if (parser.isSet(explanations)) {
        QFile in(parser.value(explanations));
        if (!in.open(QIODevice::ReadOnly)) {
            return fail(name, parser.value(explanations) + QStringLiteral(": cannot open"));
        }
        for (const QJsonValue &v : QJsonDocument::fromJson(in.readAll())
                                           .object()
                                           .value(QStringLiteral("explanations"))
                                           .toArray()) {
            Result<FeatureExplanation> e = FeatureExplanation::fromJson(v.toObject());
            if (e && e->feature == f) {
                labelText = e->label;
                descriptionText = e->description;
            }
        }
        if (labelText.isEmpty()) {
            return fail(name, parser.value(explanations) +
                                      QStringLiteral(": no explanation of feature %1").arg(f));
        }
    }
    if (labelText.isEmpty()) {
        return fail(name, QStringLiteral("--label or --explanations is required"));
    }
    // Every other feature of the scan offers non-activating examples.
    QList<FeatureDetails> others = file->features;
    others.removeAt(f);
    Result<QList<DetectionExample>> examples =
            detectionExamples(file->features[f], others, protocol->seed);
    if (!examples) {
        return fail(name, parser.value(scan) + QStringLiteral(": ") + examples.status().message());
    }
    Result<std::unique_ptr<ChatBackend>> backend = judge.backend(parser);
    if (!backend) {
        return failWith(name, backend.status());
    }
    const DetectionPlan plan =
            planDetection(labelText, descriptionText, examples.value(), protocol.value());
    QList<Status> statuses;
    QList<ChatReply> replies;
    const Status ran = runJob(*backend.value(), plan.requests, name, statuses, replies);
    if (!ran.isOk()) {
        return failWith(name, ran);
    }
    Result<DetectionResult> result = scoreDetection(plan, examples.value(), statuses, replies);
    if (!result) {
        return failWith(name, result.status());
    }
    printJson(detectionScoreJson(f, labelText, backend.value()->describe(), protocol.value(),
                                 result.value()));
    return kExitOk;
}

int runRelevance(const QStringList &arguments)
{
    const QString name = QStringLiteral("score relevance");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Relevance scoring on the seed's 0-3 scale (0 irrelevant ... 3 a clean match) of each "
            "text to a target concept. JSON: mean per text over repeats, the answer counts, and "
            "the mean over texts with a t 95 % CI. Answers that do not parse are counted and left "
            "out, never replaced by a default."));
    const JudgeOptions judge(parser);
    const QCommandLineOption concept(QStringLiteral("concept"),
                                     QStringLiteral("Target concept, e.g. \"achievements\"."),
                                     QStringLiteral("TEXT"));
    const QCommandLineOption texts(QStringLiteral("texts"),
                                   QStringLiteral("Text file, one text per line."),
                                   QStringLiteral("FILE"));
    parser.addOptions({concept, texts});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(concept) || !parser.isSet(texts)) {
        return fail(name, QStringLiteral("--concept and --texts are required"));
    }
    Result<gyrus::JudgeOptions> protocol = judge.protocol(parser);
    if (!protocol) {
        return failWith(name, protocol.status());
    }
    QFile in(parser.value(texts));
    if (!in.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return fail(name, parser.value(texts) + QStringLiteral(": cannot open (") +
                                  in.errorString() + QLatin1Char(')'));
    }
    QStringList lines;
    for (const QString &line : QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty()) {
            lines << line.trimmed();
        }
    }
    if (lines.isEmpty()) {
        return fail(name, parser.value(texts) + QStringLiteral(": no texts"));
    }
    Result<std::unique_ptr<ChatBackend>> backend = judge.backend(parser);
    if (!backend) {
        return failWith(name, backend.status());
    }
    const RelevancePlan plan = planRelevance(parser.value(concept), lines, protocol.value());
    QList<Status> statuses;
    QList<ChatReply> replies;
    const Status ran = runJob(*backend.value(), plan.requests, name, statuses, replies);
    if (!ran.isOk()) {
        return failWith(name, ran);
    }
    Result<RelevanceResult> result = scoreRelevance(plan, int(lines.size()), statuses, replies);
    if (!result) {
        return failWith(name, result.status());
    }
    QJsonArray perText;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        perText.append(QJsonObject{{QStringLiteral("text"), lines[i]},
                                   {QStringLiteral("mean_score"), number(result->meanScore[i])}});
    }
    QJsonArray counts;
    for (int c : result->counts) {
        counts.append(c);
    }
    printJson(
            QJsonObject{{QStringLiteral("concept"), parser.value(concept)},
                        {QStringLiteral("judge"), backend.value()->describe()},
                        {QStringLiteral("prompt_version"), QLatin1String(kRelevancePromptVersion)},
                        {QStringLiteral("repeats"), protocol->repeats},
                        {QStringLiteral("seed"), double(protocol->seed)},
                        {QStringLiteral("temperature"), protocol->temperature},
                        {QStringLiteral("mean"), intervalJson(result->mean)},
                        {QStringLiteral("score_counts"), counts},
                        {QStringLiteral("texts"), perText},
                        {QStringLiteral("failed_requests"), result->failedRequests},
                        {QStringLiteral("errors"), QJsonArray::fromStringList(result->errors)}});
    return kExitOk;
}

int runScore(const QStringList &arguments)
{
    return runSubcommand(
            QStringLiteral("score"), arguments,
            {{QStringLiteral("detection"), &runDetection},
             {QStringLiteral("relevance"), &runRelevance}},
            QStringLiteral("Usage: gyrus-cli score detection|relevance [options]\n"
                           "  detection  how well a feature's label picks its activating "
                           "examples (balanced accuracy, AUC)\n"
                           "  relevance  0-3 relevance of texts to a concept (the seed's "
                           "rubric)\n"));
}

}  // namespace

Command scoreCommand()
{
    return {QStringLiteral("score"),
            QStringLiteral("Score labels (detection) or texts (relevance) with a language model."),
            &runScore};
}

}  // namespace gyrus::cli
