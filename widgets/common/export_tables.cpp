#include "widgets/common/export_tables.h"

#include "core/features/attribution_types.h"
#include "core/features/feature_inspector_types.h"
#include "core/features/token_analysis_types.h"
#include "core/llm/method_judging.h"

#include <QMap>
#include <QStandardItemModel>
#include <QtNumeric>
#include <qcustomplot.h>

namespace gyrus::widgets {

// Every active feature at every token of the analysis, one row each (the heatmap's data in long
// form: a text's row for the colouring feature is where feature == that feature).
std::unique_ptr<QStandardItemModel> tokenActivationTable(const TokenAnalysis &analysis)
{
    auto model = std::make_unique<QStandardItemModel>(0, 7);
    model->setHorizontalHeaderLabels({QStringLiteral("text"), QStringLiteral("position"),
                                      QStringLiteral("token_id"), QStringLiteral("token"),
                                      QStringLiteral("bos"), QStringLiteral("feature"),
                                      QStringLiteral("activation")});
    auto number = [](double value) {
        auto *item = new QStandardItem;
        item->setData(value, Qt::DisplayRole);
        return item;
    };
    for (size_t t = 0; t < analysis.texts.size(); ++t) {
        const TextActivations &text = analysis.texts[t];
        for (int k = 0; k < text.tokenCount(); ++k) {
            const AnalyzedToken &token = text.tokens[size_t(k)];
            for (int a = text.rowStart[size_t(k)]; a < text.rowStart[size_t(k) + 1]; ++a) {
                model->appendRow({number(double(t)), number(k), number(token.id),
                                  new QStandardItem(token.piece), number(token.bos ? 1 : 0),
                                  number(text.features[size_t(a)]),
                                  number(double(text.values[size_t(a)]))});
            }
        }
    }
    return model;
}

namespace {

QStandardItem *plainNumber(double value)
{
    auto *item = new QStandardItem;
    item->setData(value, Qt::DisplayRole);
    return item;
}

}  // namespace

// The feature's examples as data: the top ones, then those drawn from each histogram bin.
std::unique_ptr<QStandardItemModel> examplesTable(const FeatureDetails &d)
{
    auto model = std::make_unique<QStandardItemModel>(0, 8);
    model->setHorizontalHeaderLabels({QStringLiteral("feature"), QStringLiteral("set"),
                                      QStringLiteral("bin_low"), QStringLiteral("activation"),
                                      QStringLiteral("token_index"), QStringLiteral("before"),
                                      QStringLiteral("token"), QStringLiteral("after")});
    auto add = [&](const QString &set, double low, const FeatureExampleText &e) {
        model->appendRow({plainNumber(d.feature), new QStandardItem(set), plainNumber(low),
                          plainNumber(e.activation), plainNumber(double(e.tokenIndex)),
                          new QStandardItem(e.before), new QStandardItem(e.token),
                          new QStandardItem(e.after)});
    };
    for (const FeatureExampleText &e : d.top) {
        add(QStringLiteral("top"), qQNaN(), e);
    }
    for (const FeatureBinExamples &bin : d.bins) {
        for (const FeatureExampleText &e : bin.examples) {
            add(QStringLiteral("bin"), bin.low, e);
        }
    }
    return model;
}

std::unique_ptr<QStandardItemModel> logitTable(const FeatureDetails &d)
{
    auto model = std::make_unique<QStandardItemModel>(0, 5);
    model->setHorizontalHeaderLabels({QStringLiteral("feature"), QStringLiteral("effect"),
                                      QStringLiteral("token_id"), QStringLiteral("token"),
                                      QStringLiteral("logit")});
    for (const auto &[effect, list] : {std::pair{QStringLiteral("boosts"), &d.boosted},
                                       std::pair{QStringLiteral("suppresses"), &d.suppressed}}) {
        for (const TokenEffect &e : *list) {
            model->appendRow({plainNumber(d.feature), new QStandardItem(effect), plainNumber(e.id),
                              new QStandardItem(e.token), plainNumber(e.logit)});
        }
    }
    return model;
}

// The curves of `plots` as one table: a row per step any curve has, a column per curve (NaN
// where a curve has no point at that step), named by the curve's legend name.
std::unique_ptr<QStandardItemModel> curvesTable(const QList<QCustomPlot *> &plots)
{
    QList<QCPGraph *> graphs;
    QStringList headers{QStringLiteral("step")};
    QMap<double, QVector<double>> rows;
    for (QCustomPlot *plot : plots) {
        for (int g = 0; g < plot->graphCount(); ++g) {
            graphs.append(plot->graph(g));
            headers.append(plot->graph(g)->name());
        }
    }
    for (int c = 0; c < graphs.size(); ++c) {
        for (auto point = graphs[c]->data()->constBegin(); point != graphs[c]->data()->constEnd();
             ++point) {
            QVector<double> &row = rows[point->key];
            if (row.isEmpty()) {
                row.fill(qQNaN(), graphs.size());
            }
            row[c] = point->value;
        }
    }
    auto model = std::make_unique<QStandardItemModel>(0, int(headers.size()));
    model->setHorizontalHeaderLabels(headers);
    for (auto row = rows.cbegin(); row != rows.cend(); ++row) {
        QList<QStandardItem *> items;
        for (double value : QVector<double>{row.key()} + row.value()) {
            auto *item = new QStandardItem;
            item->setData(value, Qt::DisplayRole);
            items.append(item);
        }
        model->appendRow(items);
    }
    return model;
}

std::unique_ptr<QStandardItemModel> judgedMethodsTable(const MethodJudgement &j)
{
    auto model = std::make_unique<QStandardItemModel>(0, 11);
    model->setHorizontalHeaderLabels(
            {QStringLiteral("representation"), QStringLiteral("method"),
             QStringLiteral("mean_rating"), QStringLiteral("ci_low"), QStringLiteral("ci_high"),
             QStringLiteral("rated_texts"), QStringLiteral("u_vs_random"),
             QStringLiteral("p_vs_random"), QStringLiteral("features"),
             QStringLiteral("kruskal_wallis_h"), QStringLiteral("kruskal_wallis_p")});
    auto row = [&](const QString &representation, const QString &method, const JudgedList &list,
                   double u, double p, const QString &features) {
        model->appendRow({new QStandardItem(representation), new QStandardItem(method),
                          plainNumber(list.rating.estimate), plainNumber(list.rating.low),
                          plainNumber(list.rating.high), plainNumber(list.ratedTexts),
                          plainNumber(u), plainNumber(p), new QStandardItem(features),
                          plainNumber(j.kruskalWallisH), plainNumber(j.kruskalWallisP)});
    };
    for (const JudgedMethod &m : j.methods) {
        QStringList features;
        for (size_t f = 0; f < m.ranking.features.size(); ++f) {
            features << QStringLiteral("%1:%2")
                                .arg(m.ranking.features[f])
                                .arg(f < m.ranking.weights.size() ? m.ranking.weights[f] : qQNaN(),
                                     0, 'g', 17);
        }
        row(m.ranking.representation, nameOf(m.ranking.method), m.list, m.uVsRandom, m.pVsRandom,
            features.join(QLatin1Char(' ')));
    }
    row(QStringLiteral("random"), QStringLiteral("baseline"), j.baseline, qQNaN(), qQNaN(),
        QString());
    return model;
}

std::unique_ptr<QStandardItemModel> judgedTextsTable(const MethodJudgement &j)
{
    auto model = std::make_unique<QStandardItemModel>(0, 6);
    model->setHorizontalHeaderLabels({QStringLiteral("representation"), QStringLiteral("method"),
                                      QStringLiteral("rank"), QStringLiteral("line"),
                                      QStringLiteral("mean_rating"), QStringLiteral("text")});
    auto rows = [&](const QString &representation, const QString &method, const JudgedList &list) {
        for (qsizetype i = 0; i < list.lines.size(); ++i) {
            model->appendRow({new QStandardItem(representation), new QStandardItem(method),
                              plainNumber(double(i + 1)), plainNumber(list.lines[i] + 1),
                              plainNumber(list.meanRatings.value(i, qQNaN())),
                              new QStandardItem(j.corpus.value(list.lines[i]))});
        }
    };
    for (const JudgedMethod &m : j.methods) {
        rows(m.ranking.representation, nameOf(m.ranking.method), m.list);
    }
    rows(QStringLiteral("random"), QStringLiteral("baseline"), j.baseline);
    return model;
}

std::unique_ptr<QStandardItemModel> attributionTable(const AttributionOutcome &outcome,
                                                     const std::vector<AblationCheck> &checks)
{
    const AttributionResult &r = outcome.result;
    auto model = std::make_unique<QStandardItemModel>(0, 10);
    model->setHorizontalHeaderLabels(
            {QStringLiteral("node"), QStringLiteral("position"), QStringLiteral("token_id"),
             QStringLiteral("token"), QStringLiteral("feature"), QStringLiteral("activation"),
             QStringLiteral("gradient"), QStringLiteral("attribution"),
             QStringLiteral("estimated_change"), QStringLiteral("actual_change")});
    QMap<QPair<int, int>, const AblationCheck *> checked;
    for (const AblationCheck &check : checks) {
        checked.insert({check.feature.position, check.feature.feature}, &check);
    }
    auto tokenItems = [&](int position) {
        const int id = r.tokens[size_t(position)];
        return QList<QStandardItem *>{plainNumber(position), plainNumber(id),
                                      new QStandardItem(outcome.piece(id))};
    };
    for (const FeatureAttribution &f : r.features) {
        const AblationCheck *check = checked.value({f.position, f.feature}, nullptr);
        QList<QStandardItem *> row{new QStandardItem(QStringLiteral("feature"))};
        row << tokenItems(f.position);
        row << plainNumber(f.feature) << plainNumber(double(f.activation))
            << plainNumber(double(f.gradient)) << plainNumber(double(f.attribution))
            << plainNumber(check ? check->estimatedChange : qQNaN())
            << plainNumber(check ? check->actualChange : qQNaN());
        model->appendRow(row);
    }
    const std::pair<const char *, const std::vector<double> *> nodes[] = {
            {"error", &r.errorAttribution},
            {"bias", &r.biasAttribution},
            {"total", &r.totalAttribution}};
    for (const auto &[name, values] : nodes) {
        for (size_t t = 0; t < values->size() && t < r.tokens.size(); ++t) {
            QList<QStandardItem *> row{new QStandardItem(QString::fromLatin1(name))};
            row << tokenItems(int(t));
            row << plainNumber(qQNaN()) << plainNumber(qQNaN()) << plainNumber(qQNaN())
                << plainNumber((*values)[t]) << plainNumber(qQNaN()) << plainNumber(qQNaN());
            model->appendRow(row);
        }
    }
    return model;
}

std::unique_ptr<QStandardItemModel> logitLensTable(const LogitLensOutcome &outcome)
{
    auto model = std::make_unique<QStandardItemModel>(0, 9);
    model->setHorizontalHeaderLabels(
            {QStringLiteral("hook"), QStringLiteral("position"), QStringLiteral("token"),
             QStringLiteral("rank"), QStringLiteral("top_token_id"), QStringLiteral("top_token"),
             QStringLiteral("probability"), QStringLiteral("next_probability"),
             QStringLiteral("next_rank")});
    for (size_t row = 0; row < outcome.cells.size(); ++row) {
        for (size_t t = 0; t < outcome.cells[row].size(); ++t) {
            const LogitLensCell &cell = outcome.cells[row][t];
            for (size_t k = 0; k < cell.topTokens.size(); ++k) {
                const int id = cell.topTokens[k];
                model->appendRow(
                        {new QStandardItem(outcome.rows.value(int(row))), plainNumber(double(t)),
                         new QStandardItem(outcome.piece(outcome.tokens[t])),
                         plainNumber(double(k)), plainNumber(id),
                         new QStandardItem(outcome.piece(id)),
                         plainNumber(double(cell.topProbabilities[k])),
                         plainNumber(cell.nextRank < 0 ? qQNaN() : double(cell.nextProbability)),
                         plainNumber(cell.nextRank < 0 ? qQNaN() : double(cell.nextRank))});
            }
        }
    }
    return model;
}

}  // namespace gyrus::widgets
