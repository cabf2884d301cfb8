#include "core/llm/scoring.h"

#include <QRegularExpression>

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace gyrus {

namespace {

QString stripThinking(QString text)
{
    static const QRegularExpression think(QStringLiteral("<think>.*?</think>"),
                                          QRegularExpression::DotMatchesEverythingOption);
    return text.remove(think).trimmed();
}

ChatRequest judgeRequest(const QString &system, const QString &user, const JudgeOptions &options,
                         int repeat, int maxTokens)
{
    ChatRequest r;
    r.messages = {{QStringLiteral("system"), system}, {QStringLiteral("user"), user}};
    r.temperature = options.temperature;
    r.seed = options.seed + repeat;
    r.maxTokens = maxTokens;
    return r;
}

// The seed's scoring prompt (prompts/scoring_prompt.txt): instruction, 0-3 rubric, four worked
// examples, then the pattern and the text.
const char kRelevanceInstruction[] =
        "You will rate how well a feature pattern matches text. You must respond with ONLY a "
        "single digit (0, 1, 2, or 3) and nothing else.\n\n"
        "Rating scale:\n"
        "0 - The pattern is completely irrelevant throughout the context.\n"
        "1 - The pattern is related to the context, but not near the highlighted text, or only "
        "vaguely related.\n"
        "2 - The pattern is only loosely related to the highlighted text, or related to the "
        "context near it.\n"
        "3 - The pattern cleanly identifies the activating text.\n\n"
        "Examples:\n"
        "Feature Pattern: \"animals\"\nText: The quarterly earnings rose by four percent.\n"
        "Rating: 0 (nothing about animals)\n"
        "Feature Pattern: \"computer science\"\nText: She moved to Boston and started a new job "
        "at a software company.\nRating: 1 (the context is related, the text is not about it)\n"
        "Feature Pattern: \"golden gate bridge\"\nText: We drove across the bay to San Francisco "
        "at sunset.\nRating: 2 (loosely related)\n"
        "Feature Pattern: \"programming errors\"\nText: The function raised a null pointer "
        "exception on the first call.\nRating: 3 (a clean match)";

}  // namespace

DetectionPlan planDetection(const QString &label, const QString &description,
                            const QList<DetectionExample> &examples, const JudgeOptions &options)
{
    DetectionPlan plan;
    plan.repeats = std::max(1, options.repeats);
    const int batch = std::max(1, options.batchSize);
    const QString system = QStringLiteral(
            "You judge whether a described feature of a language model is active in text "
            "excerpts. Answer with only a JSON list of 0s and 1s.");
    const QString concept =
            QStringLiteral("\"") + label + QStringLiteral("\"") +
            (description.isEmpty() ? QString() : QStringLiteral(": ") + description);
    for (int repeat = 0; repeat < plan.repeats; ++repeat) {
        QVector<int> order(examples.size());
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 rng(quint64(options.seed) * 1000003u + quint64(repeat));
        std::shuffle(order.begin(), order.end(), rng);
        for (int start = 0; start < order.size(); start += batch) {
            const QVector<int> shown = order.mid(start, batch);
            QStringList lines;
            for (int i = 0; i < shown.size(); ++i) {
                lines << QStringLiteral("Example %1: %2")
                                 .arg(i + 1)
                                 .arg(examples[shown[i]].text.simplified());
            }
            const QString user =
                    QStringLiteral("A feature of a language model has been described as ") +
                    concept +
                    QStringLiteral(
                            ".\n\nFor each of the %1 text excerpts below, decide whether "
                            "the feature is active in it, that is whether the excerpt "
                            "contains what the description says.\n\n")
                            .arg(shown.size()) +
                    lines.join(QLatin1Char('\n')) +
                    QStringLiteral(
                            "\n\nAnswer with only a JSON list of %1 numbers in example "
                            "order, 1 for active and 0 for not active, for example [")
                            .arg(shown.size()) +
                    QStringList(shown.size(), QStringLiteral("0")).join(QStringLiteral(", ")) +
                    QStringLiteral("].");
            plan.requests.append(judgeRequest(system, user, options, repeat, 8 + 4 * batch));
            plan.shown.append(shown);
            plan.repeatOf.append(repeat);
        }
    }
    return plan;
}

Result<QVector<int>> parseDetectionAnswer(const QString &answer, int n)
{
    const QString text = stripThinking(answer);
    const qsizetype open = text.indexOf(QLatin1Char('['));
    const qsizetype close = open < 0 ? -1 : text.indexOf(QLatin1Char(']'), open);
    const auto bad = [&](const QString &why) {
        return Status::invalidInput(QStringLiteral("the judge's answer does not parse (") + why +
                                    QStringLiteral("): \"") + answer.left(160).simplified() +
                                    QLatin1Char('"'));
    };
    if (close < 0) {
        return bad(QStringLiteral("expected a list like [1, 0]"));
    }
    QVector<int> votes;
    for (const QString &item :
         text.mid(open + 1, close - open - 1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString v = item.trimmed().remove(QLatin1Char('"')).toLower();
        if (v == QLatin1String("1") || v == QLatin1String("true")) {
            votes.append(1);
        } else if (v == QLatin1String("0") || v == QLatin1String("false")) {
            votes.append(0);
        } else {
            return bad(QStringLiteral("'") + v + QStringLiteral("' is not 0 or 1"));
        }
    }
    if (votes.size() != n) {
        return bad(QStringLiteral("%1 answers for %2 examples").arg(votes.size()).arg(n));
    }
    return votes;
}

double balancedAccuracy(const QVector<bool> &truth, const QVector<int> &prediction)
{
    double tp = 0, fn = 0, tn = 0, fp = 0;
    for (qsizetype i = 0; i < truth.size(); ++i) {
        if (truth[i]) {
            (prediction[i] ? tp : fn) += 1;
        } else {
            (prediction[i] ? fp : tn) += 1;
        }
    }
    return 0.5 * (tp / std::max(1.0, tp + fn) + tn / std::max(1.0, tn + fp));
}

double rocAuc(const QVector<bool> &truth, const QVector<double> &score)
{
    double pairs = 0;
    double wins = 0;
    for (qsizetype i = 0; i < truth.size(); ++i) {
        if (!truth[i]) {
            continue;
        }
        for (qsizetype j = 0; j < truth.size(); ++j) {
            if (truth[j]) {
                continue;
            }
            pairs += 1;
            wins += score[i] > score[j] ? 1.0 : (score[i] == score[j] ? 0.5 : 0.0);
        }
    }
    return pairs > 0 ? wins / pairs : std::nan("");
}

Interval meanInterval(const QVector<double> &values, double level)
{
    Interval out;
    const auto n = double(values.size());
    if (values.isEmpty()) {
        out.estimate = out.low = out.high = std::nan("");
        return out;
    }
    out.estimate = std::accumulate(values.begin(), values.end(), 0.0) / n;
    if (values.size() < 2) {
        out.low = out.high = out.estimate;
        return out;
    }
    double ss = 0;
    for (double v : values) {
        ss += (v - out.estimate) * (v - out.estimate);
    }
    const double se = std::sqrt(ss / (n - 1) / n);
    const boost::math::students_t t(n - 1);
    const double q = boost::math::quantile(t, 0.5 + level / 2);
    out.low = out.estimate - q * se;
    out.high = out.estimate + q * se;
    return out;
}

Result<DetectionResult> scoreDetection(const DetectionPlan &plan,
                                       const QList<DetectionExample> &examples,
                                       const QList<Status> &statuses,
                                       const QList<ChatReply> &replies)
{
    DetectionResult result;
    result.examples = int(examples.size());
    QVector<bool> truth;
    for (const DetectionExample &e : examples) {
        truth.append(e.activating);
        result.activating += e.activating ? 1 : 0;
    }
    if (result.activating == 0 || result.activating == result.examples) {
        return Status::invalidInput(
                QStringLiteral("detection needs activating and non-activating examples (got %1 "
                               "of %2 activating)")
                        .arg(result.activating)
                        .arg(result.examples));
    }
    // votes[repeat][example]: -1 while not judged.
    QVector<QVector<int>> votes(plan.repeats, QVector<int>(examples.size(), -1));
    for (qsizetype r = 0; r < plan.requests.size(); ++r) {
        Result<QVector<int>> parsed =
                statuses[r].isOk()
                        ? parseDetectionAnswer(replies[r].text, int(plan.shown[r].size()))
                        : Result<QVector<int>>(statuses[r]);
        if (!parsed) {
            ++result.failedRequests;
            result.errors << QStringLiteral("request %1: ").arg(r + 1) + parsed.status().message();
            continue;
        }
        for (qsizetype i = 0; i < plan.shown[r].size(); ++i) {
            votes[plan.repeatOf[r]][plan.shown[r][i]] = parsed.value()[i];
        }
    }
    QVector<double> voteSum(examples.size(), 0);
    QVector<int> voteCount(examples.size(), 0);
    for (const QVector<int> &repeat : votes) {
        QVector<bool> t;
        QVector<int> p;
        for (qsizetype i = 0; i < repeat.size(); ++i) {
            if (repeat[i] >= 0) {
                t.append(truth[i]);
                p.append(repeat[i]);
                voteSum[i] += repeat[i];
                ++voteCount[i];
            }
        }
        if (std::count(t.begin(), t.end(), true) > 0 && std::count(t.begin(), t.end(), false) > 0) {
            result.balancedAccuracyPerRepeat.append(balancedAccuracy(t, p));
        }
    }
    if (result.balancedAccuracyPerRepeat.isEmpty()) {
        return Status::invalidInput(QStringLiteral("no usable judge answers: ") +
                                    result.errors.value(0));
    }
    result.balancedAccuracy = meanInterval(result.balancedAccuracyPerRepeat);
    QVector<bool> judgedTruth;
    QVector<double> judgedScore;
    for (qsizetype i = 0; i < examples.size(); ++i) {
        result.meanVote.append(voteCount[i] ? voteSum[i] / voteCount[i] : std::nan(""));
        if (voteCount[i]) {
            judgedTruth.append(truth[i]);
            judgedScore.append(result.meanVote.back());
        }
    }
    result.auc.estimate = rocAuc(judgedTruth, judgedScore);
    // Stratified bootstrap over examples, fixed seed: the CI is reproducible.
    QVector<int> positives, negatives;
    for (qsizetype i = 0; i < judgedTruth.size(); ++i) {
        (judgedTruth[i] ? positives : negatives).append(int(i));
    }
    std::mt19937_64 rng(20250525);
    std::uniform_int_distribution<int> pickPos(0, int(positives.size()) - 1);
    std::uniform_int_distribution<int> pickNeg(0, int(negatives.size()) - 1);
    QVector<double> aucs;
    for (int b = 0; b < 2000; ++b) {
        QVector<bool> t;
        QVector<double> s;
        for (qsizetype k = 0; k < positives.size(); ++k) {
            t.append(true);
            s.append(judgedScore[positives[pickPos(rng)]]);
        }
        for (qsizetype k = 0; k < negatives.size(); ++k) {
            t.append(false);
            s.append(judgedScore[negatives[pickNeg(rng)]]);
        }
        aucs.append(rocAuc(t, s));
    }
    std::sort(aucs.begin(), aucs.end());
    result.auc.low = aucs[int(0.025 * (aucs.size() - 1))];
    result.auc.high = aucs[int(0.975 * (aucs.size() - 1))];
    return result;
}

RelevancePlan planRelevance(const QString &concept, const QStringList &texts,
                            const JudgeOptions &options)
{
    RelevancePlan plan;
    for (int repeat = 0; repeat < std::max(1, options.repeats); ++repeat) {
        for (qsizetype i = 0; i < texts.size(); ++i) {
            const QString user = QLatin1String(kRelevanceInstruction) +
                                 QStringLiteral("\n\nFeature Pattern: \"") + concept +
                                 QStringLiteral("\"\nText: ") + texts[i].simplified() +
                                 QStringLiteral("\nRating:");
            plan.requests.append(judgeRequest(
                    QStringLiteral("You rate texts. Respond with one digit: 0, 1, 2 or 3."), user,
                    options, repeat, 4));
            plan.textOf.append(int(i));
        }
    }
    return plan;
}

Result<int> parseRelevanceAnswer(const QString &answer)
{
    static const QRegularExpression digit(
            QStringLiteral("^(?:rating|score)?\\s*:?\\s*([0-3])\\s*[.)]?(?:\\s*\\(.*\\))?\\s*$"),
            QRegularExpression::CaseInsensitiveOption |
                    QRegularExpression::DotMatchesEverythingOption);
    const QRegularExpressionMatch m = digit.match(stripThinking(answer));
    if (!m.hasMatch()) {
        return Status::invalidInput(
                QStringLiteral("the judge's answer does not parse (expected one digit 0-3): \"") +
                answer.left(160).simplified() + QLatin1Char('"'));
    }
    return m.captured(1).toInt();
}

Result<RelevanceResult> scoreRelevance(const RelevancePlan &plan, int texts,
                                       const QList<Status> &statuses,
                                       const QList<ChatReply> &replies)
{
    RelevanceResult result;
    result.counts = QVector<int>(4, 0);
    QVector<double> sum(texts, 0);
    QVector<int> count(texts, 0);
    for (qsizetype r = 0; r < plan.requests.size(); ++r) {
        Result<int> score = statuses[r].isOk() ? parseRelevanceAnswer(replies[r].text)
                                               : Result<int>(statuses[r]);
        if (!score) {
            ++result.failedRequests;
            result.errors << QStringLiteral("request %1: ").arg(r + 1) + score.status().message();
            continue;
        }
        sum[plan.textOf[r]] += score.value();
        ++count[plan.textOf[r]];
        ++result.counts[score.value()];
    }
    QVector<double> perText;
    for (int i = 0; i < texts; ++i) {
        result.meanScore.append(count[i] ? sum[i] / count[i] : std::nan(""));
        if (count[i]) {
            perText.append(result.meanScore.back());
        }
    }
    if (perText.isEmpty()) {
        return Status::invalidInput(QStringLiteral("no usable judge answers: ") +
                                    result.errors.value(0));
    }
    result.mean = meanInterval(perText);
    return result;
}

}  // namespace gyrus
