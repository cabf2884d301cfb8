#pragma once
// Scoring explanations and texts with a language-model judge, each at temperature 0 with a fixed
// seed and several repeats, so a score comes with a confidence interval (the seed project used
// one sample at default temperature).
//
// Detection: the judge sees a label and a shuffled mix of activating and non-activating
// examples in batches and answers which activate ("[1, 0, ...]"). Balanced accuracy per repeat
// (mean and Student-t 95 % CI over repeats); AUC of each example's mean vote over repeats
// (ties count one half), with a stratified bootstrap 95 % CI over examples. Repeat r shuffles
// and batches the examples with seed + r, so repeats differ even at temperature 0.
//
// Relevance: the seed's 0-3 rubric (Anthropic's monosemanticity scale) for how well a text
// matches a target concept; mean per text over repeats, then the mean over texts with a
// Student-t 95 % CI over texts. Answers that do not parse are counted and left out, never
// replaced by a default.

#include "core/llm/chat_backend.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>

namespace gyrus {

inline constexpr char kDetectionPromptVersion[] = "gyrus-detection-v1";
inline constexpr char kRelevancePromptVersion[] = "gyrus-relevance-v1";

struct JudgeOptions
{
    int repeats = 3;
    int batchSize = 5;  ///< detection examples per request
    double temperature = 0;
    qint64 seed = 0;
};

struct DetectionExample
{
    QString text;
    bool activating = false;
};

struct DetectionPlan
{
    QList<ChatRequest> requests;
    QList<QVector<int>> shown;  ///< per request: the example indices in the order shown
    QVector<int> repeatOf;      ///< per request
    int repeats = 0;
};

struct Interval
{
    double estimate = 0;
    double low = 0;
    double high = 0;
};

struct DetectionResult
{
    int examples = 0;
    int activating = 0;
    QVector<double> balancedAccuracyPerRepeat;
    Interval balancedAccuracy;
    Interval auc;
    QVector<double> meanVote;  ///< per example, over the repeats that judged it (NaN: none)
    int failedRequests = 0;
    QStringList errors;  ///< one line per failed request
};

struct RelevanceResult
{
    QVector<double> meanScore;  ///< per text, over parsed repeats (NaN: none parsed)
    QVector<int> counts;        ///< answers scored 0, 1, 2, 3
    Interval mean;              ///< over texts
    int failedRequests = 0;
    QStringList errors;
};

DetectionPlan planDetection(const QString &label, const QString &description,
                            const QList<DetectionExample> &examples, const JudgeOptions &options);
/// The judge's "[1, 0, 1]" for n examples; InvalidInput quoting the answer otherwise.
Result<QVector<int>> parseDetectionAnswer(const QString &answer, int n);
/// Needs at least one activating and one non-activating example with a vote.
Result<DetectionResult> scoreDetection(const DetectionPlan &plan,
                                       const QList<DetectionExample> &examples,
                                       const QList<Status> &statuses,
                                       const QList<ChatReply> &replies);

struct RelevancePlan
{
    QList<ChatRequest> requests;
    QVector<int> textOf;  ///< per request
};

RelevancePlan planRelevance(const QString &concept, const QStringList &texts,
                            const JudgeOptions &options);
/// A single digit 0-3 ("2", "Rating: 2", "2."); InvalidInput quoting the answer otherwise.
Result<int> parseRelevanceAnswer(const QString &answer);
Result<RelevanceResult> scoreRelevance(const RelevancePlan &plan, int texts,
                                       const QList<Status> &statuses,
                                       const QList<ChatReply> &replies);

/// Fraction of positives predicted positive and negatives predicted negative, averaged.
double balancedAccuracy(const QVector<bool> &truth, const QVector<int> &prediction);
/// Area under the ROC curve of scores against truth (Mann-Whitney U / n1 n0, ties 1/2).
double rocAuc(const QVector<bool> &truth, const QVector<double> &score);
/// Mean and Student-t CI of values (level 0.95); low = high = mean for fewer than 2 values.
Interval meanInterval(const QVector<double> &values, double level = 0.95);

}  // namespace gyrus
