#include "tests/support/image_check.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdlib>

namespace gyrus::test {

namespace {

int channelDistance(QRgb a, QRgb b)
{
    return std::max({std::abs(qAlpha(a) - qAlpha(b)), std::abs(qRed(a) - qRed(b)),
                     std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b))});
}

QString reportDirectory()
{
    const QString configured = qEnvironmentVariable("GYRUS_TEST_REPORT_DIR");
    if (!configured.isEmpty()) {
        QDir().mkpath(configured);
        return configured;
    }
    QTemporaryDir dir(QDir::temp().filePath(QStringLiteral("gyrus-image-check-XXXXXX")));
    dir.setAutoRemove(false);  // the report outlives the test
    return dir.path();
}

}  // namespace

QString baselineDirectory()
{
    return QStringLiteral(GYRUS_SOURCE_DIR "/tests/baselines");
}

ImageCheck compareImages(const QImage &expectedImage, const QImage &actualImage,
                         int allowedMismatches, int colourTolerance)
{
    ImageCheck check;
    const QImage expected = expectedImage.convertToFormat(QImage::Format_ARGB32);
    const QImage actual = actualImage.convertToFormat(QImage::Format_ARGB32);
    if (expected.size() != actual.size()) {
        check.mismatches = -1;
        check.message = QStringLiteral("size %1×%2, expected %3×%4")
                                .arg(actual.width())
                                .arg(actual.height())
                                .arg(expected.width())
                                .arg(expected.height());
        return check;
    }
    for (int y = 0; y < actual.height(); ++y) {
        const auto *a = reinterpret_cast<const QRgb *>(actual.constScanLine(y));
        const auto *e = reinterpret_cast<const QRgb *>(expected.constScanLine(y));
        for (int x = 0; x < actual.width(); ++x) {
            check.mismatches += channelDistance(a[x], e[x]) > colourTolerance ? 1 : 0;
        }
    }
    check.ok = check.mismatches <= allowedMismatches;
    check.message = QStringLiteral("%1 of %2 pixels differ by more than %3 (at most %4 may)")
                            .arg(check.mismatches)
                            .arg(qint64(actual.width()) * actual.height())
                            .arg(colourTolerance)
                            .arg(allowedMismatches);
    return check;
}

ImageCheck verifyImage(const QString &name, const QImage &actual, int allowedMismatches,
                       int colourTolerance)
{
    const QString baseline = QDir(baselineDirectory()).filePath(name + QStringLiteral(".png"));
    if (qEnvironmentVariableIntValue("GYRUS_UPDATE_BASELINES") == 1) {
        QDir().mkpath(baselineDirectory());
        ImageCheck written;
        written.ok = actual.save(baseline, "PNG");
        written.message = written.ok ? QStringLiteral("wrote %1").arg(baseline)
                                     : QStringLiteral("cannot write %1").arg(baseline);
        return written;
    }
    const QImage expected(baseline);
    ImageCheck check;
    if (expected.isNull()) {
        check.mismatches = -1;
        check.message =
                QStringLiteral("no baseline %1 (GYRUS_UPDATE_BASELINES=1 writes it)").arg(baseline);
    } else {
        check = compareImages(expected, actual, allowedMismatches, colourTolerance);
    }
    if (check.ok) {
        return check;
    }
    const QDir report(reportDirectory());
    actual.save(report.filePath(name + QStringLiteral("_actual.png")), "PNG");
    if (!expected.isNull()) {
        expected.save(report.filePath(name + QStringLiteral("_expected.png")), "PNG");
        if (expected.size() == actual.size()) {
            QImage diff(actual.size(), QImage::Format_ARGB32);
            const QImage a = actual.convertToFormat(QImage::Format_ARGB32);
            const QImage e = expected.convertToFormat(QImage::Format_ARGB32);
            for (int y = 0; y < diff.height(); ++y) {
                for (int x = 0; x < diff.width(); ++x) {
                    const bool differs =
                            channelDistance(a.pixel(x, y), e.pixel(x, y)) > colourTolerance;
                    diff.setPixel(x, y, differs ? qRgb(255, 0, 0) : qRgb(255, 255, 255));
                }
            }
            diff.save(report.filePath(name + QStringLiteral("_diff.png")), "PNG");
        }
    }
    check.message += QStringLiteral("; report in %1").arg(report.path());
    return check;
}

}  // namespace gyrus::test
