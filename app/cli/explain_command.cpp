// gyrus-cli explain: labels for SAE features from a language model, built from the top and
// quantile examples of a `gyrus-cli scan` file (the same prompt and parsing as the feature
// inspector's Explain button).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/judge_options.h"
#include "app/cli/number_options.h"
#include "app/cli/scan_json.h"
#include "core/llm/chat_job.h"
#include "core/llm/explanation.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace gyrus::cli {

namespace {

void reportProgress(const QString &what, int done, int total)
{
    std::fprintf(stderr, "%s: %d/%d\n", qPrintable(what), done, total);
}

int runExplain(const QStringList &arguments)
{
    const QString name = QStringLiteral("explain");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Ask a language model for a short label and a one-sentence description of each "
            "feature, from its top and quantile examples in a scan (gyrus-cli scan --out) with "
            "the activating token marked <<like this>>. JSON on stdout: the explanations with "
            "their provenance, and the features that failed with why."));
    const JudgeOptions judge(parser);
    const QCommandLineOption scan(QStringLiteral("scan"),
                                  QStringLiteral("Scan JSON written by gyrus-cli scan --out."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption features(QStringLiteral("features"),
                                      QStringLiteral("Features to explain: 3,17,40-42."),
                                      QStringLiteral("LIST"));
    const QCommandLineOption topExamples(QStringLiteral("top-examples"),
                                         QStringLiteral("Top examples shown."), QStringLiteral("N"),
                                         QStringLiteral("10"));
    const QCommandLineOption binExamples(QStringLiteral("bin-examples"),
                                         QStringLiteral("Examples per quantile bin shown."),
                                         QStringLiteral("N"), QStringLiteral("2"));
    parser.addOptions({scan, features, topExamples, binExamples});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&scan, &features}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    ExplainOptions options;
    const Result<int64_t> top = integerValue(parser, topExamples, 1);
    const Result<int64_t> perBin = integerValue(parser, binExamples, 0);
    if (!top || !perBin) {
        return failWith(name, !top ? top.status() : perBin.status());
    }
    options.topExamples = int(*top);
    options.binExamples = int(*perBin);
    Result<gyrus::JudgeOptions> protocol = judge.protocol(parser);
    if (!protocol) {
        return failWith(name, protocol.status());
    }
    options.seed = protocol->seed;
    options.temperature = protocol->temperature;
    Result<ScanFile> file = readScanJson(parser.value(scan));
    if (!file) {
        return failWith(name, file.status());
    }
    Result<QList<int>> chosen =
            parseFeatureList(parser.value(features), int(file->features.size()));
    if (!chosen) {
        return failWith(name, chosen.status());
    }
    Result<std::unique_ptr<ChatBackend>> backend = judge.backend(parser);
    if (!backend) {
        return failWith(name, backend.status());
    }
    QJsonArray failed;
    QList<int> asked;
    QList<ExplainPrompt> prompts;
    QList<ChatRequest> requests;
    for (int f : chosen.value()) {
        Result<ExplainPrompt> prompt = buildExplainPrompt(file->features[f], options);
        if (!prompt) {
            failed.append(QJsonObject{{QStringLiteral("feature"), f},
                                      {QStringLiteral("error"), prompt.status().message()}});
            continue;
        }
        ChatRequest request;
        request.messages = prompt->messages;
        request.temperature = options.temperature;
        request.seed = options.seed;
        request.maxTokens = options.maxTokens;
        asked.append(f);
        prompts.append(prompt.value());
        requests.append(request);
    }
    ChatJob job(backend.value().get(), requests);
    QObject::connect(&job, &ChatJob::progress,
                     [&](int done, int total, double) { reportProgress(name, done, total); });
    const Status ran = runToCompletion(job);
    if (!ran.isOk()) {
        return failWith(name, ran);
    }
    QJsonArray explanations;
    QString firstError;
    for (qsizetype i = 0; i < asked.size(); ++i) {
        Result<FeatureExplanation> e =
                explanationFromReply(file->features[asked[i]], prompts[i], job.statuses()[i],
                                     job.replies()[i], backend.value()->describe());
        if (e) {
            explanations.append(e->toJson());
        } else {
            failed.append(QJsonObject{{QStringLiteral("feature"), asked[i]},
                                      {QStringLiteral("error"), e.status().message()}});
            firstError = firstError.isEmpty() ? e.status().message() : firstError;
        }
    }
    if (explanations.isEmpty()) {
        return fail(name, firstError.isEmpty() ? failed.first()[QStringLiteral("error")].toString()
                                               : firstError);
    }
    printJson(QJsonObject{{QStringLiteral("explainer"), backend.value()->describe()},
                          {QStringLiteral("prompt_version"), QLatin1String(kExplainPromptVersion)},
                          {QStringLiteral("scan"), parser.value(scan)},
                          {QStringLiteral("explanations"), explanations},
                          {QStringLiteral("failed"), failed}});
    return kExitOk;
}

}  // namespace

Command explainCommand()
{
    return {QStringLiteral("explain"),
            QStringLiteral("Label SAE features with a language model (OpenAI-compatible)."),
            &runExplain};
}

}  // namespace gyrus::cli
