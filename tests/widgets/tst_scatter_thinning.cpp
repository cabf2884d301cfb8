// What a large scatter draws: one point per screen cell and group, so nothing visible is lost
// (every input point's cell keeps a point of its group), nothing outside the frame or non-finite is
// kept, cells coarsen until the cap holds, and the drawn subset of a 262k-feature volcano is
// worked out off the GUI thread while hovering still finds every feature.

#include "widgets/common/scatter_thinning.h"
#include "widgets/views/feature_scatter_plot.h"

#include <QRandomGenerator>
#include <QSet>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace gyrus::widgets;

namespace {

struct Cloud
{
    std::vector<double> x;
    std::vector<double> y;
    std::vector<int> group;
};

// A dense blob and a sparse halo in two groups: most points share a cell, the halo's do not.
Cloud cloud(int n)
{
    QRandomGenerator generator(3);
    Cloud c;
    for (int i = 0; i < n; ++i) {
        const bool halo = i % 50 == 0;
        const double spread = halo ? 1.0 : 0.05;
        c.x.push_back((generator.generateDouble() * 2 - 1) * spread);
        c.y.push_back((generator.generateDouble() * 2 - 1) * spread);
        c.group.push_back(i % 2);
    }
    return c;
}

qint64 cellOf(double x, double y, const ScatterFrame &frame, int cell)
{
    const int columns = (frame.widthPixels + cell - 1) / cell;
    const int rows = (frame.heightPixels + cell - 1) / cell;
    const int column = std::min(columns - 1, int((x - frame.x.lower) * columns / frame.x.size()));
    const int row = std::min(rows - 1, int((y - frame.y.lower) * rows / frame.y.size()));
    return qint64(row) * columns + column;
}

}  // namespace

class ScatterThinningTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:

    void everyOccupiedCellKeepsOnePointOfEachGroup()
    {
        const Cloud c = cloud(100000);
        const ScatterFrame frame{QCPRange(-1, 1), QCPRange(-1, 1), 400, 300};
        const auto kept = thinScatter(c.x, c.y, c.group, 2, frame, 2, 1000000);
        QCOMPARE(int(kept.size()), 2);
        for (int g = 0; g < 2; ++g) {
            QSet<qint64> keptCells;
            for (const QCPGraphData &point : kept[size_t(g)]) {
                const qint64 cell = cellOf(point.key, point.value, frame, 2);
                QVERIFY2(!keptCells.contains(cell), "two points kept in one cell");
                keptCells.insert(cell);
            }
            QSet<qint64> inputCells;
            for (size_t i = 0; i < c.x.size(); ++i) {
                if (c.group[i] == g) {
                    inputCells.insert(cellOf(c.x[i], c.y[i], frame, 2));
                }
            }
            QCOMPARE(keptCells, inputCells);
            // Sorted by key, as QCPGraph expects when told the data is sorted.
            QVERIFY(std::is_sorted(kept[size_t(g)].begin(), kept[size_t(g)].end(),
                                   qcpLessThanSortKey<QCPGraphData>));
        }
        // The blob collapses: far fewer points than the input.
        QVERIFY(kept[0].size() + kept[1].size() < c.x.size() / 4);
    }

    void outsideTheFrameAndNonFiniteAreLeftOut()
    {
        const std::vector<double> x = {0.5, 2.0, NAN, 0.25, 0.75};
        const std::vector<double> y = {0.5, 0.5, 0.5, INFINITY, 0.25};
        const std::vector<int> group = {0, 0, 0, 0, 3};  // group 3 does not exist
        const ScatterFrame frame{QCPRange(0, 1), QCPRange(0, 1), 100, 100};
        const auto kept = thinScatter(x, y, group, 1, frame);
        QCOMPARE(kept[0].size(), 1);
        QCOMPARE(kept[0][0].key, 0.5);
    }

    void cellsCoarsenUntilTheCapHolds()
    {
        const Cloud c = cloud(100000);
        const ScatterFrame frame{QCPRange(-1, 1), QCPRange(-1, 1), 1000, 1000};
        const auto fine = thinScatter(c.x, c.y, c.group, 2, frame, 1, 1000000);
        const auto capped = thinScatter(c.x, c.y, c.group, 2, frame, 1, 2000);
        QVERIFY(fine[0].size() + fine[1].size() > 2000);
        QVERIFY(capped[0].size() + capped[1].size() <= 2000);
        QVERIFY(capped[0].size() + capped[1].size() > 0);
    }

    void aLargeScatterIsThinnedOffTheGuiThread()
    {
        FeatureScatterPlot plot;
        plot.resize(600, 400);
        const Cloud c = cloud(FeatureScatterPlot::kThinnedPoints * 3);
        std::vector<int> ids(c.x.size());
        std::iota(ids.begin(), ids.end(), 0);
        plot.setPoints({{QStringLiteral("a"), Qt::red, 5}, {QStringLiteral("b"), Qt::blue, 5}}, ids,
                       c.x, c.y, c.group);
        QCOMPARE(plot.pointCount(), int(c.x.size()));
        QVERIFY(plot.isThinning());
        QTRY_VERIFY_WITH_TIMEOUT(!plot.isThinning(), 10000);
        plot.replot();  // lays out the axis rect, for the pixel positions below
        const int drawn = plot.graph(1)->dataCount() + plot.graph(2)->dataCount();
        QVERIFY2(drawn > 0 && drawn < int(c.x.size()) / 4, qPrintable(QString::number(drawn)));
        // Every feature is still there for hovering and the ring, drawn or not.
        const int halo = 50 * 7;  // a sparse point
        const QPoint pixel = plot.pixelOfFeature(halo);
        QVERIFY(!pixel.isNull());
        QCOMPARE(plot.featureAt(pixel, 0.5), halo);
        // A zoom works out the subset again for the new ranges.
        plot.xAxis->setRange(-0.05, 0.05);
        QVERIFY(plot.isThinning());
        QTRY_VERIFY_WITH_TIMEOUT(!plot.isThinning(), 10000);
    }
};

QTEST_MAIN(ScatterThinningTest)
#include "tst_scatter_thinning.moc"
