#pragma once
// The original study's LLM-judged comparison of feature-finding methods (seed_pipeline.md
// §8.6-8.7, §8.10-8.11), the part after the model: which corpus lines each representation ×
// method's classifier ranks highest (computed by the engine or the CLI), one seeded random
// draw as the baseline, the distinct lines the judge rates (each once per repeat, whichever
// lists it is on), and the statistics of the ratings as ordinal data: each method against the
// baseline (Mann-Whitney U, permutation p) and all methods together (Kruskal-Wallis H,
// permutation p), with means and Student-t 95 % CIs. Shared by `gyrus-cli judge-methods` and
// the Contrasts dock, so both report the same numbers for the same ratings.

#include "core/contrasts/method_text_ranking.h"
#include "core/llm/scoring.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace gyrus {

/// `top` distinct lines of `corpusSize`, drawn with `seed` (the same for every method).
QList<int> randomBaselineLines(int corpusSize, int top, qint64 seed);

/// The distinct lines to rate: each method's top lines in order, then the baseline's.
QList<int> linesToRate(const QList<MethodTextRanking> &rankings, const QList<int> &baseline);

struct JudgedList
{
    QList<int> lines;
    QVector<double> meanRatings;  ///< per line over repeats; NaN: no answer parsed
    Interval rating;              ///< over the lines with a rating
    int ratedTexts = 0;
};

struct JudgedMethod
{
    MethodTextRanking ranking;
    JudgedList list;
    double uVsRandom = 0;
    double pVsRandom = 1;
};

struct MethodJudgement
{
    QString concept;
    QString judge;  ///< the backend's describe()
    JudgeOptions options;
    int k = 0;
    int top = 0;
    int permutations = 0;
    QStringList corpus;  ///< every corpus line (the lines above index it)
    JudgedList baseline;
    QList<JudgedMethod> methods;
    double kruskalWallisH = 0;
    double kruskalWallisP = 1;
    int failedRequests = 0;
    QStringList errors;
};

/// The statistics of `scored` (scoreRelevance() of planRelevance(concept, the texts of `rated`)).
/// InvalidInput when the sizes disagree.
Result<MethodJudgement> judgeMethods(const QString &concept, const QString &judge,
                                     const JudgeOptions &options, int k, int permutations,
                                     const QStringList &corpus,
                                     const QList<MethodTextRanking> &rankings,
                                     const QList<int> &baseline, const QList<int> &rated,
                                     const RelevanceResult &scored);

/// The JSON `gyrus-cli judge-methods` prints (lines 1-based there, as in a text editor).
QJsonObject methodJudgementJson(const MethodJudgement &judgement);
/// And back (the workspace keeps it); InvalidInput naming what is missing.
Result<MethodJudgement> methodJudgementFromJson(const QJsonObject &json);

}  // namespace gyrus
