#pragma once
// Golden-image checks for views (modelled on QGIS's QgsTest::imageCheck; ARCHITECTURE.md §8).
// A view is rendered at a fixed size with a fixed font under the offscreen platform and compared
// with tests/baselines/<name>.png:
// - a pixel mismatches when one of its channels (A, R, G, B) differs by more than
//   `colourTolerance` (0-255); the check passes when at most `allowedMismatches` pixels do, so
//   anti-aliased text edges that move by a sub-pixel between font builds do not fail it;
// - GYRUS_UPDATE_BASELINES=1 writes the baseline instead (generate it under QT_QPA_PLATFORM=
//   offscreen, as CTest runs the tests);
// - a failure writes <name>_actual.png, <name>_expected.png and <name>_diff.png (mismatching
//   pixels in red) into $GYRUS_TEST_REPORT_DIR, or a temporary folder named in the message.

#include <QImage>
#include <QString>

namespace gyrus::test {

struct ImageCheck
{
    bool ok = false;
    int mismatches = 0;  ///< pixels beyond the tolerance (-1: sizes differ or no baseline)
    QString message;     ///< why it failed, and where the report is
};

/// Compares two images; the counting rule above, without files.
ImageCheck compareImages(const QImage &expected, const QImage &actual, int allowedMismatches,
                         int colourTolerance);

/// Checks `actual` against the baseline `name` (see the header comment).
ImageCheck verifyImage(const QString &name, const QImage &actual, int allowedMismatches,
                       int colourTolerance);

/// The folder of the committed baselines (tests/baselines).
QString baselineDirectory();

}  // namespace gyrus::test
