// The icons compiled in from resources/gyrus.qrc, and the committed PNG sizes of the application
// icon against the SVGs they are rendered from (resources/render-icons).

#include "tests/support/test_paths.h"
#include "widgets/common/icons.h"

#include <QDir>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <QtTest>

#include <cmath>

namespace {

QImage renderSvg(const QString &path, int size)
{
    QSvgRenderer renderer(path);
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    renderer.render(&painter);
    return image;
}

// Mean absolute difference per channel (0-255) of two same-size images, alpha included.
double meanDifference(const QImage &a, const QImage &b)
{
    const QImage x = a.convertToFormat(QImage::Format_ARGB32);
    const QImage y = b.convertToFormat(QImage::Format_ARGB32);
    double sum = 0;
    for (int row = 0; row < x.height(); ++row) {
        const auto *p = reinterpret_cast<const QRgb *>(x.constScanLine(row));
        const auto *q = reinterpret_cast<const QRgb *>(y.constScanLine(row));
        for (int col = 0; col < x.width(); ++col) {
            sum += std::abs(qRed(p[col]) - qRed(q[col])) +
                   std::abs(qGreen(p[col]) - qGreen(q[col])) +
                   std::abs(qBlue(p[col]) - qBlue(q[col])) +
                   std::abs(qAlpha(p[col]) - qAlpha(q[col]));
        }
    }
    return sum / (4.0 * x.width() * x.height());
}

}  // namespace

class TestIcons : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void applicationIconHasEverySize()
    {
        const QIcon icon = gyrus::widgets::applicationIcon();
        for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
            const QImage image = icon.pixmap(size, size).toImage();
            QCOMPARE(image.size(), QSize(size, size));
        }
    }

    void iconReadsAtSixteenPixels()
    {
        // Legible at 16 px: the light brain and the dark tile and folds are both there, with
        // strong contrast, and the corners are transparent (a rounded tile).
        const QImage image =
                gyrus::widgets::applicationIcon().pixmap(16, 16).toImage().convertToFormat(
                        QImage::Format_ARGB32);
        int light = 0;
        int dark = 0;
        for (int y = 0; y < 16; ++y) {
            for (int x = 0; x < 16; ++x) {
                const QRgb p = image.pixel(x, y);
                if (qAlpha(p) < 200) {
                    continue;
                }
                const int grey = qGray(p);
                light += grey > 200 ? 1 : 0;
                dark += grey < 70 ? 1 : 0;
            }
        }
        QVERIFY2(light >= 40, qPrintable(QString::number(light)));
        QVERIFY2(dark >= 40, qPrintable(QString::number(dark)));
        QVERIFY(qAlpha(image.pixel(0, 0)) < 128);
    }

    void committedPngsMatchTheSvgs_data()
    {
        QTest::addColumn<int>("size");
        for (const int size : {16, 22, 24, 32, 48, 64, 128, 256, 512}) {
            QTest::addRow("%dx%d", size, size) << size;
        }
    }

    void committedPngsMatchTheSvgs()
    {
        // A stale PNG (the SVG edited, render-icons not run) differs by far more than the two
        // renderers' antialiasing (rsvg-convert made the PNGs; Qt renders here).
        QFETCH(int, size);
        const QDir icons(gyrus::test::sourcePath(QStringLiteral("resources/icons")));
        const QString svg = icons.filePath(size < 32 ? QStringLiteral("gyrus-small.svg")
                                                     : QStringLiteral("gyrus.svg"));
        const QImage committed(icons.filePath(QStringLiteral("hicolor/%1x%1/gyrus.png").arg(size)));
        QCOMPARE(committed.size(), QSize(size, size));
        const double difference = meanDifference(committed, renderSvg(svg, size));
        QVERIFY2(difference < 6.0,
                 qPrintable(QStringLiteral("mean difference %1: run resources/render-icons")
                                    .arg(difference)));
    }

    void uiIconsExistAndMissingOnesAreNull()
    {
        for (const char *name : {"open", "save", "start", "pause", "stop", "cancel", "add",
                                 "remove", "export", "search", "dock-model", "dock-log"}) {
            const QIcon icon = gyrus::widgets::uiIcon(QString::fromLatin1(name));
            QVERIFY2(!icon.isNull(), name);
            QVERIFY2(!icon.pixmap(16, 16).isNull(), name);
        }
        QVERIFY(gyrus::widgets::uiIcon(QStringLiteral("no-such-icon")).isNull());
    }
};

QTEST_MAIN(TestIcons)
#include "tst_icons.moc"
