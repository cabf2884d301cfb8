// Explain and score with a scripted judge whose answers are known: the explanation prompt and
// its parsing, detection scoring (balanced accuracy, AUC, CIs) and the seed's 0-3 relevance
// scoring, with unparsable answers counted and never replaced by a default. Reference values for
// the statistics come from scipy (stats.t.ppf, stats.mannwhitneyu).

#include "core/llm/chat_job.h"
#include "core/llm/explanation.h"
#include "core/llm/scoring.h"
#include "tests/llm/scripted_judge.h"

#include <QRegularExpression>
#include <QtTest>

#include <cmath>

using namespace gyrus;
using gyrus::test::ScriptedJudge;

namespace {

FeatureExampleText example(double activation, qint64 index, const char *before, const char *token,
                           const char *after)
{
    return {activation, index, QString::fromUtf8(before), QString::fromUtf8(token),
            QString::fromUtf8(after)};
}

FeatureDetails bridgeFeature()
{
    FeatureDetails d;
    d.feature = 1267;
    d.corpusPath = QStringLiteral("heldout.txt");
    d.top = {example(5, 10, "the ", "Golden", " Gate towers"),
             example(4.5, 20, "across the ", "bridge", " at dawn"),
             example(4, 30, "a suspension ", "bridge", " in fog")};
    FeatureBinExamples low{0.1, 1, 40, {example(0.5, 99, "a card game called ", "bridge", "")}};
    FeatureBinExamples high{1,
                            4,
                            12,
                            {example(3, 20, "across the ", "bridge", " at dawn"),
                             example(2, 77, "the ", "Bay", " Bridge toll")}};
    d.bins = {low, high};
    return d;
}

// Reads "Example i: text" lines back out of a detection prompt.
QStringList shownExamples(const ChatRequest &request)
{
    static const QRegularExpression line(QStringLiteral("^Example \\d+: (.*)$"),
                                         QRegularExpression::MultilineOption);
    QStringList texts;
    auto it = line.globalMatch(request.messages.back().content);
    while (it.hasNext()) {
        texts << it.next().captured(1);
    }
    return texts;
}

// Says "active" exactly when the excerpt contains the word bridge.
QString bridgeJudge(const ChatRequest &request)
{
    QStringList votes;
    for (const QString &text : shownExamples(request)) {
        votes << (text.contains(QStringLiteral("bridge")) ? QStringLiteral("1")
                                                          : QStringLiteral("0"));
    }
    return QStringLiteral("[") + votes.join(QStringLiteral(", ")) + QStringLiteral("]");
}

QList<DetectionExample> detectionSet()
{
    QList<DetectionExample> set;
    for (const char *t :
         {"the bridge over the bay", "a suspension bridge in fog", "cars on the bridge",
          "bridge tolls rose", "the bridge at night", "Golden Gate towers"}) {
        set.append({QString::fromUtf8(t), true});
    }
    for (const char *t : {"bread and butter", "a quiet library", "the stock market",
                          "rain in April", "a card game called bridge", "a red apple"}) {
        set.append({QString::fromUtf8(t), false});
    }
    return set;
}

template <typename Plan>
void runPlan(ChatBackend &judge, const Plan &plan, QList<Status> &statuses,
             QList<ChatReply> &replies)
{
    ChatJob job(&judge, plan.requests, 3);
    QVERIFY(runToCompletion(job).isOk());
    statuses = job.statuses();
    replies = job.replies();
}

}  // namespace

class TestAutoInterp : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void explainPromptMarksTheActivatingTokens()
    {
        const Result<ExplainPrompt> prompt = buildExplainPrompt(bridgeFeature());
        QVERIFY(prompt);
        QCOMPARE(prompt->topExamplesUsed, 3);
        QCOMPARE(prompt->binExamplesUsed, 2);  // the bin duplicate of a top example is skipped
        const QString text = prompt->messages.back().content;
        QVERIFY(
                text.contains(QStringLiteral("Example 1 (activation 5.00): the <<Golden>> Gate "
                                             "towers")));
        QVERIFY(
                text.contains(QStringLiteral("Weaker activations:\nExample 4 (activation "
                                             "2.00): the <<Bay>> Bridge toll")));
        QVERIFY(
                text.contains(QStringLiteral("Example 5 (activation 0.50): a card game called "
                                             "<<bridge>>")));
        QVERIFY(text.contains(QStringLiteral("EXPLANATION: ")));
        QCOMPARE(text.count(QString(40, QLatin1Char('-'))), 2);

        FeatureDetails dead;
        dead.feature = 7;
        QVERIFY(buildExplainPrompt(dead).status().message().contains(
                QStringLiteral("no activating examples")));
    }

    void explanationAnswersParse()
    {
        Result<FeatureExplanation> e = parseExplanation(
                QStringLiteral("Golden Gate Bridge\n\nEXPLANATION: Mentions of San Francisco's "
                               "bridge."));
        QVERIFY(e);
        QCOMPARE(e->label, QStringLiteral("Golden Gate Bridge"));
        QCOMPARE(e->description, QStringLiteral("Mentions of San Francisco's bridge."));

        e =
                parseExplanation(QStringLiteral("<think>bridges, fog...</think>\n**Pattern:** "
                                                "\"Bridges.\"\n**EXPLANATION:** Bridges."));
        QVERIFY(e);
        QCOMPARE(e->label, QStringLiteral("Bridges"));

        e = parseExplanation(QStringLiteral("Bridges"));
        QVERIFY(e);
        QCOMPARE(e->description, QString());

        const Result<FeatureExplanation> bad = parseExplanation(
                QStringLiteral("I am not sure what these examples have in common, sorry, they "
                               "seem to be about many things"));
        QVERIFY(!bad);
        QVERIFY(bad.status().message().contains(QStringLiteral("does not parse")));
    }

    void explainThroughAJudgeKeepsProvenance()
    {
        ScriptedJudge judge([](const ChatRequest &) {
            return QStringLiteral("Bridges\nEXPLANATION: Bridges and their names.");
        });
        const FeatureDetails details = bridgeFeature();
        const ExplainPrompt prompt = buildExplainPrompt(details).value();
        ChatRequest request;
        request.messages = prompt.messages;
        ChatJob explain(&judge, {request});
        QVERIFY(runToCompletion(explain).isOk());
        const Result<FeatureExplanation> e = explanationFromReply(
                details, prompt, explain.statuses()[0], explain.replies()[0], judge.describe());
        QVERIFY(e);
        QCOMPARE(e->feature, 1267);
        QCOMPARE(e->label, QStringLiteral("Bridges"));
        QCOMPARE(e->explainer, QStringLiteral("scripted judge (answered by scripted)"));
        QCOMPARE(e->promptVersion, QString::fromLatin1(kExplainPromptVersion));
        QCOMPARE(e->topExamplesUsed, 3);
        const Result<FeatureExplanation> back = FeatureExplanation::fromJson(e->toJson());
        QVERIFY(back);
        QCOMPARE(back->description, e->description);
        QCOMPARE(back->createdUtc.toSecsSinceEpoch(), e->createdUtc.toSecsSinceEpoch());

        // A failed request or an unparsable answer is an error; the caller keeps the old label.
        const Result<FeatureExplanation> failed = explanationFromReply(
                details, prompt, Status::invalidInput(QStringLiteral("cannot reach x")), {},
                judge.describe());
        QCOMPARE(failed.status().message(),
                 QStringLiteral("explaining feature 1267: cannot reach x"));
    }

    void detectionWithAKnownJudge()
    {
        ScriptedJudge judge(&bridgeJudge);
        const QList<DetectionExample> set = detectionSet();
        JudgeOptions options;
        options.repeats = 3;
        options.batchSize = 5;
        options.seed = 11;
        const DetectionPlan plan =
                planDetection(QStringLiteral("bridges"), QString(), set, options);
        QCOMPARE(plan.requests.size(), 9);  // 3 repeats x ceil(12 / 5)
        QCOMPARE(plan.requests[0].temperature, 0.0);
        QCOMPARE(*plan.requests[0].seed, 11);
        QCOMPARE(*plan.requests.back().seed, 13);
        QVERIFY(plan.shown[0] != plan.shown[3]);  // each repeat shuffles anew
        QList<Status> statuses;
        QList<ChatReply> replies;
        runPlan(judge, plan, statuses, replies);
        const Result<DetectionResult> r = scoreDetection(plan, set, statuses, replies);
        QVERIFY2(r, qPrintable(r.status().message()));
        // 5 of 6 activating examples say "bridge", 1 of 6 non-activating does: 5/6 both ways.
        for (double ba : r->balancedAccuracyPerRepeat) {
            QCOMPARE(ba, 5.0 / 6.0);
        }
        QCOMPARE(r->balancedAccuracy.estimate, 5.0 / 6.0);
        QCOMPARE(r->balancedAccuracy.low, 5.0 / 6.0);  // no spread across repeats
        QCOMPARE(r->auc.estimate, 30.0 / 36.0);
        QVERIFY(r->auc.low < r->auc.estimate && r->auc.high > r->auc.estimate);
        QCOMPARE(r->failedRequests, 0);
    }

    void unparsableJudgeAnswersAreCountedNotDefaulted()
    {
        ScriptedJudge judge([](const ChatRequest &request) {
            return *request.seed == 1 ? QStringLiteral("examples 1 and 3, I think")
                                      : bridgeJudge(request);
        });
        const QList<DetectionExample> set = detectionSet();
        JudgeOptions options;
        options.repeats = 2;
        options.batchSize = 6;
        const DetectionPlan plan =
                planDetection(QStringLiteral("bridges"), QString(), set, options);
        QList<Status> statuses;
        QList<ChatReply> replies;
        runPlan(judge, plan, statuses, replies);
        const Result<DetectionResult> r = scoreDetection(plan, set, statuses, replies);
        QVERIFY(r);
        QCOMPARE(r->failedRequests, 2);  // repeat 1's two batches
        QCOMPARE(r->balancedAccuracyPerRepeat.size(), 1);
        QVERIFY(r->errors[0].contains(QStringLiteral("does not parse")));

        ScriptedJudge hopeless([](const ChatRequest &) { return QStringLiteral("no idea"); });
        runPlan(hopeless, plan, statuses, replies);
        const Result<DetectionResult> none = scoreDetection(plan, set, statuses, replies);
        QVERIFY(!none);
        QVERIFY(none.status().message().contains(QStringLiteral("no usable judge answers")));
    }

    void relevanceOnTheSeedScale()
    {
        ScriptedJudge judge([](const ChatRequest &request) {
            const QString text =
                    request.messages.back().content.section(QStringLiteral("\nText: "), -1);
            return text.contains(QStringLiteral("record")) ? QStringLiteral("Rating: 3")
                                                           : QStringLiteral("1");
        });
        const QStringList texts = {
                QStringLiteral("She set a world record."), QStringLiteral("Rain fell."),
                QStringLiteral("A record crowd cheered."), QStringLiteral("The soup was cold.")};
        JudgeOptions options;
        options.repeats = 2;
        const RelevancePlan plan = planRelevance(QStringLiteral("achievements"), texts, options);
        QCOMPARE(plan.requests.size(), 8);
        QList<Status> statuses;
        QList<ChatReply> replies;
        runPlan(judge, plan, statuses, replies);
        const Result<RelevanceResult> r = scoreRelevance(plan, 4, statuses, replies);
        QVERIFY(r);
        QCOMPARE(r->meanScore, (QVector<double>{3, 1, 3, 1}));
        QCOMPARE(r->counts, (QVector<int>{0, 4, 0, 4}));
        QCOMPARE(r->mean.estimate, 2.0);
        // scipy: 2 -/+ t.ppf(0.975, 3) * std([3,1,3,1], ddof=1) / 2
        QVERIFY(std::abs(r->mean.low - 0.16261376896260105) < 1e-9);
        QVERIFY(std::abs(r->mean.high - 3.837386231037399) < 1e-9);
    }

    void relevanceAnswersParseStrictly()
    {
        QCOMPARE(parseRelevanceAnswer(QStringLiteral(" 2 ")).value(), 2);
        QCOMPARE(parseRelevanceAnswer(QStringLiteral("Score: 0.")).value(), 0);
        QCOMPARE(parseRelevanceAnswer(QStringLiteral("3 (a clean match)")).value(), 3);
        QCOMPARE(parseRelevanceAnswer(QStringLiteral("<think>hm</think>1")).value(), 1);
        QVERIFY(!parseRelevanceAnswer(QStringLiteral("4")));
        QVERIFY(!parseRelevanceAnswer(QStringLiteral("2 or 3")));
        QVERIFY(!parseRelevanceAnswer(QStringLiteral("")));
    }

    void statisticsAgainstScipy()
    {
        // scipy.stats.mannwhitneyu([.9,.4,.7,.7], [.1,.7,.3]).statistic / 12
        QCOMPARE(rocAuc({true, true, true, true, false, false, false},
                        {0.9, 0.4, 0.7, 0.7, 0.1, 0.7, 0.3}),
                 0.8333333333333334);
        const Interval i = meanInterval({0.8, 0.6, 1.0});
        QVERIFY(std::abs(i.low - 0.3031724576312494) < 1e-9);
        QVERIFY(std::abs(i.high - 1.2968275423687505) < 1e-9);
        QCOMPARE(balancedAccuracy({true, true, false, false, false}, {1, 0, 0, 0, 1}),
                 0.5 * (0.5 + 2.0 / 3.0));
    }
};

QTEST_GUILESS_MAIN(TestAutoInterp)
#include "tst_autointerp.moc"
