#include "widgets/export_tables.h"

#include "core/feature_inspector_types.h"
#include "core/token_analysis_types.h"

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

}  // namespace gyrus::widgets
