#include "core/base/table_export.h"
#include "core/features/feature_inspector_types.h"
#include "core/features/token_analysis_types.h"
#include "widgets/common/export_tables.h"
#include "widgets/views/rsa_figure_export.h"

#include <QFile>
#include <QImage>
#include <QLabel>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>

using namespace gyrus;
using namespace gyrus::widgets;

namespace {

double number(const QStandardItemModel &model, int row, int column)
{
    return model.index(row, column).data().toDouble();
}

QString text(const QStandardItemModel &model, int row, int column)
{
    return model.index(row, column).data().toString();
}

QStringList headers(const QStandardItemModel &model)
{
    QStringList names;
    for (int c = 0; c < model.columnCount(); ++c) {
        names << model.headerData(c, Qt::Horizontal).toString();
    }
    return names;
}

}  // namespace

class TestExportTables : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void heatmapRowsAreEveryActiveFeatureAtEveryToken()
    {
        TokenAnalysis analysis;
        TextActivations first;
        first.text = QStringLiteral("The jury");
        first.appendToken({1, QStringLiteral("<s>"), 0, 0, true}, {{7, 9.5f}});
        first.appendToken({20, QStringLiteral("The"), 0, 3, false}, {{3, 0.25f}, {7, 1.5f}});
        first.appendToken({31, QStringLiteral(" jury"), 3, 8, false}, {});
        TextActivations second;
        second.text = QStringLiteral("said");
        second.appendToken({44, QStringLiteral("said"), 0, 4, false}, {{2, 0.125f}});
        analysis.texts = {first, second};

        const auto table = tokenActivationTable(analysis);
        QCOMPARE(headers(*table), QStringList({QStringLiteral("text"), QStringLiteral("position"),
                                               QStringLiteral("token_id"), QStringLiteral("token"),
                                               QStringLiteral("bos"), QStringLiteral("feature"),
                                               QStringLiteral("activation")}));
        QCOMPARE(table->rowCount(), 4);  // the inactive " jury" has no row
        // Row 2: text 0, token 1 ("The"), feature 7 at 1.5 (features ascend within a token).
        QCOMPARE(number(*table, 2, 0), 0.0);
        QCOMPARE(number(*table, 2, 1), 1.0);
        QCOMPARE(number(*table, 2, 2), 20.0);
        QCOMPARE(text(*table, 2, 3), QStringLiteral("The"));
        QCOMPARE(number(*table, 2, 5), 7.0);
        QCOMPARE(number(*table, 2, 6), 1.5);
        QCOMPARE(number(*table, 0, 4), 1.0);  // BOS marked
        QCOMPARE(number(*table, 3, 0), 1.0);
        QCOMPARE(number(*table, 3, 6), 0.125);

        // As CSV through the table writer: numbers as numbers.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("heatmap.csv"));
        QVERIFY(writeTable(*table, path).isOk());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
        QCOMPARE(lines.at(0),
                 QStringLiteral("text,position,token_id,token,bos,feature,activation"));
        QCOMPARE(lines.at(3), QStringLiteral("0,1,20,The,0,7,1.5"));
    }

    void featureExamplesAndLogitEffects()
    {
        FeatureDetails details;
        details.feature = 12;
        details.top = {{4.5, 100, QStringLiteral("the "), QStringLiteral(" court"),
                        QStringLiteral(" ruled")},
                       {3.25, 7, QStringLiteral("a "), QStringLiteral(" judge"), QString()}};
        FeatureBinExamples bin;
        bin.low = 0.1;
        bin.high = 0.2;
        bin.count = 50;
        bin.examples = {{0.15, 42, QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")}};
        details.bins = {bin};
        details.boosted = {{5, QStringLiteral(" law"), 2.5}, {6, QStringLiteral(" legal"), 2.0}};
        details.suppressed = {{9, QStringLiteral(" cat"), -1.75}};

        const auto examples = examplesTable(details);
        QCOMPARE(examples->rowCount(), 3);
        QCOMPARE(text(*examples, 0, 1), QStringLiteral("top"));
        QVERIFY(std::isnan(number(*examples, 0, 2)));  // top examples belong to no bin
        QCOMPARE(number(*examples, 1, 3), 3.25);
        QCOMPARE(number(*examples, 1, 4), 7.0);
        QCOMPARE(text(*examples, 1, 6), QStringLiteral(" judge"));
        QCOMPARE(text(*examples, 2, 1), QStringLiteral("bin"));
        QCOMPARE(number(*examples, 2, 2), 0.1);
        QCOMPARE(number(*examples, 2, 0), 12.0);

        const auto logits = logitTable(details);
        QCOMPARE(logits->rowCount(), 3);
        QCOMPARE(text(*logits, 0, 1), QStringLiteral("boosts"));
        QCOMPARE(text(*logits, 2, 1), QStringLiteral("suppresses"));
        QCOMPARE(number(*logits, 2, 2), 9.0);
        QCOMPARE(number(*logits, 2, 4), -1.75);
    }

    void curvesShareOneStepColumn()
    {
        QCustomPlot loss;
        loss.addGraph()->setName(QStringLiteral("loss"));
        loss.graph(0)->setData({1, 2, 3}, {0.5, 0.25, 0.125});
        loss.addGraph()->setName(QStringLiteral("normalised MSE"));
        loss.graph(1)->setData({2, 4}, {0.9, 0.8});
        QCustomPlot l0;
        l0.addGraph()->setName(QStringLiteral("L0"));
        l0.graph(0)->setData({4}, {32});

        const auto table = curvesTable({&loss, &l0});
        QCOMPARE(headers(*table),
                 QStringList({QStringLiteral("step"), QStringLiteral("loss"),
                              QStringLiteral("normalised MSE"), QStringLiteral("L0")}));
        QCOMPARE(table->rowCount(), 4);  // steps 1, 2, 3, 4
        QCOMPARE(number(*table, 0, 0), 1.0);
        QCOMPARE(number(*table, 0, 1), 0.5);
        QVERIFY(std::isnan(number(*table, 0, 2)));
        QCOMPARE(number(*table, 1, 2), 0.9);
        QCOMPARE(number(*table, 3, 0), 4.0);
        QCOMPARE(number(*table, 3, 3), 32.0);
        QVERIFY(std::isnan(number(*table, 3, 1)));
    }

    void aViewIsWrittenAsEachFigureFormat()
    {
        QLabel view(QStringLiteral("Token heatmap"));
        view.resize(200, 80);
        QTemporaryDir dir;
        for (const QString &suffix :
             {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
            const QString path = dir.filePath(QStringLiteral("view.") + suffix);
            const Status written = exportWidgetFigure(&view, path);
            QVERIFY2(written.isOk(), qPrintable(written.message()));
            QVERIFY(QFileInfo(path).size() > 100);
        }
        QCOMPARE(QImage(dir.filePath(QStringLiteral("view.png"))).size(), QSize(400, 160));
        QVERIFY(!exportWidgetFigure(&view, dir.filePath(QStringLiteral("view.bmp"))).isOk());
    }
};

QTEST_MAIN(TestExportTables)
#include "tst_export_tables.moc"
