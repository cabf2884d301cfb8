// Golden images of the two dense views (ARCHITECTURE.md §8, QGIS-style image checks): the RDM
// heatmap and the feature × token matrix, rendered at a fixed size with a fixed font and
// compared with tests/baselines/*.png. Tolerance: a pixel counts as different when a channel
// moves by more than 24 of 255; up to 1 % of the pixels may (anti-aliased text edges differ a
// little between FreeType builds; a wrong colour map, layout or order changes far more).
// Regenerate with GYRUS_UPDATE_BASELINES=1 under QT_QPA_PLATFORM=offscreen.

#include "core/features/token_analysis_types.h"
#include "core/rsa/rdm.h"
#include "tests/support/image_check.h"
#include "widgets/views/feature_matrix_view.h"
#include "widgets/views/feature_scatter_plot.h"
#include "widgets/views/rdm_heatmap_view.h"
#include "widgets/views/strength_sweep_plot.h"

#include <QApplication>
#include <QFont>
#include <QPainter>
#include <QtTest>
#include <qcustomplot.h>

#include <cmath>
#include <memory>

using namespace gyrus;

namespace {

constexpr int kTolerance = 24;

int allowedFor(const QImage &image)
{
    return image.width() * image.height() / 100;
}

// Six items in two conditions: small distances within a condition, large between.
Rdm sixItemRdm()
{
    const QStringList ids{QStringLiteral("p1"), QStringLiteral("p2"), QStringLiteral("p3"),
                          QStringLiteral("f1"), QStringLiteral("f2"), QStringLiteral("f3")};
    std::vector<float> condensed;
    for (int i = 0; i < 6; ++i) {
        for (int j = i + 1; j < 6; ++j) {
            const bool same = (i < 3) == (j < 3);
            condensed.push_back(same ? 0.1f + 0.05f * float(i + j) : 0.8f + 0.02f * float(i * j));
        }
    }
    return Rdm::fromCondensed(ids, condensed, QStringLiteral("correlation")).value();
}

// Three tokens after BOS, with a few active features each.
TokenAnalysisPtr threeTokenAnalysis()
{
    auto analysis = std::make_shared<TokenAnalysis>();
    analysis->hookName = QStringLiteral("blocks.1.hook_resid_post");
    analysis->saeName = QStringLiteral("golden");
    analysis->dSae = 16;
    TextActivations row;
    row.text = QStringLiteral("The jury said");
    row.appendToken(AnalyzedToken{1, QStringLiteral("<s>"), 0, 0, true}, {{0, 50.0f}});
    row.appendToken(AnalyzedToken{10, QStringLiteral("The"), 0, 3, false},
                    {{2, 1.5f}, {5, 0.5f}, {9, 3.0f}});
    row.appendToken(AnalyzedToken{11, QStringLiteral(" jury"), 3, 8, false},
                    {{5, 2.5f}, {7, 0.25f}});
    row.appendToken(AnalyzedToken{12, QStringLiteral(" said"), 8, 13, false},
                    {{2, 0.75f}, {9, 1.0f}, {12, 4.0f}});
    analysis->texts.push_back(std::move(row));
    return analysis;
}

}  // namespace

class TestGoldenViews : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        QFont font(QStringLiteral("DejaVu Sans"));
        font.setPixelSize(11);
        font.setHintingPreference(QFont::PreferFullHinting);
        QApplication::setFont(font);
    }

    void theCheckerFindsAChangedImage()
    {
        // The check itself can fail: a shifted colour in a block of pixels is found, a change
        // within the tolerance is not.
        QImage base(40, 40, QImage::Format_ARGB32);
        base.fill(qRgb(30, 60, 90));
        QImage changed = base;
        for (int y = 0; y < 10; ++y) {
            for (int x = 0; x < 10; ++x) {
                changed.setPixel(x, y, qRgb(30, 60, 200));
            }
        }
        QImage nearly = base;
        nearly.fill(qRgb(40, 60, 90));
        QCOMPARE(test::compareImages(base, changed, 16, kTolerance).mismatches, 100);
        QVERIFY(!test::compareImages(base, changed, 16, kTolerance).ok);
        QVERIFY(test::compareImages(base, nearly, 0, kTolerance).ok);
        QVERIFY(!test::compareImages(base, base.scaled(20, 20), 0, kTolerance).ok);
    }

    void rdmHeatmapMatchesItsBaseline()
    {
        widgets::RdmHeatmapView view;
        view.setMatrix(
                sixItemRdm(),
                {QStringLiteral("walked"), QStringLiteral("jumped"), QStringLiteral("said"),
                 QStringLiteral("will walk"), QStringLiteral("will jump"),
                 QStringLiteral("will say")},
                {QStringLiteral("past"), QStringLiteral("past"), QStringLiteral("past"),
                 QStringLiteral("future"), QStringLiteral("future"), QStringLiteral("future")},
                widgets::RdmHeatmapView::Scale::Sequential, QStringLiteral("RDM (golden)"),
                QStringLiteral("1 − r"));
        QImage image(360, 300, QImage::Format_ARGB32);
        image.fill(Qt::white);
        {
            QPainter painter(&image);
            view.render(painter, QRectF(image.rect()));
        }
        const test::ImageCheck check = test::verifyImage(QStringLiteral("rdm_heatmap"), image,
                                                         allowedFor(image), kTolerance);
        QVERIFY2(check.ok, qPrintable(check.message));
    }

    // Legends sit in a row above the axes, never on the curves or points they explain.
    void legendsNeverCoverThePlot()
    {
        gyrus::widgets::StrengthSweepPlot sweep;
        for (int k = 0; k <= 10; ++k) {
            sweep.addPoint(gyrus::StrengthSweepPoint{double(k), -0.3 * k, 0.05 * k * k});
        }
        gyrus::widgets::FeatureScatterPlot scatter;
        scatter.setPoints({{QStringLiteral("A higher"), Qt::red, 6},
                           {QStringLiteral("B higher"), Qt::blue, 6}},
                          {0, 1, 2, 3}, {-1.0, 1.0, 2.0, -2.0}, {3.0, 3.0, 0.5, 0.5}, {0, 1, 1, 0});
        sweep.resize(420, 260);
        scatter.resize(420, 260);
        for (QWidget *widget : {static_cast<QWidget *>(&sweep), static_cast<QWidget *>(&scatter)}) {
            widget->show();
            QVERIFY(QTest::qWaitForWindowExposed(widget));
        }
        for (QCustomPlot *plot : {sweep.plot(), static_cast<QCustomPlot *>(&scatter)}) {
            plot->replot();
            QVERIFY(plot->legend->visible());
            QVERIFY(plot->legend->itemCount() >= 1);
            const QRect legend = plot->legend->outerRect();
            const QRect axes = plot->axisRect()->rect();
            QVERIFY2(!legend.intersects(axes),
                     qPrintable(QStringLiteral("legend %1,%2 %3x%4 over axes %5,%6 %7x%8")
                                        .arg(legend.x())
                                        .arg(legend.y())
                                        .arg(legend.width())
                                        .arg(legend.height())
                                        .arg(axes.x())
                                        .arg(axes.y())
                                        .arg(axes.width())
                                        .arg(axes.height())));
            QVERIFY(legend.bottom() <= axes.top());
        }
    }

    void featureMatrixMatchesItsBaseline()
    {
        widgets::FeatureMatrixView view;
        view.setLabelProvider([](int feature) {
            return feature == 9 ? QStringLiteral("legal words") : QString();
        });
        view.resize(420, 240);
        view.setText(threeTokenAnalysis(), 0);
        view.setSelectedFeature(5);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QImage image = view.grab().toImage();
        const test::ImageCheck check = test::verifyImage(QStringLiteral("feature_matrix"), image,
                                                         allowedFor(image), kTolerance);
        QVERIFY2(check.ok, qPrintable(check.message));
    }
};

QTEST_MAIN(TestGoldenViews)
#include "tst_golden_views.moc"
