// The longest GUI-thread stall while the Contrasts dock shows a result of N features: the
// contrast table (sorted by q) and its volcano plot, re-sorting the table by each column, and
// the feature-wise RSA map (table and scatter). Measured like bench/ui_latency: the gaps between
// ticks of a 5 ms timer on the GUI thread. The engine is the test suite's FakeEngineClient
// (synthetic statistics for N features), so the figure is the views' cost alone.
//   bench_scale_views [N ...]   (default 1536 262144; QT_QPA_PLATFORM=offscreen works)
// Prints JSON; the limit is 50 ms per issue 17.

#include "core/prompt_set_io.h"
#include "core/selection_hub.h"
#include "tests/support/fake_engine_client.h"
#include "widgets/contrast_panel.h"
#include "widgets/contrast_view.h"
#include "widgets/feature_rsa_view.h"
#include "widgets/feature_sort_proxy.h"
#include "widgets/feature_table_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace gyrus;
using namespace gyrus::widgets;

namespace {

constexpr double kLimitMs = 50.0;

/// Ticks every 5 ms and remembers the longest gap since reset().
class StallMeter
{
public:
    StallMeter()
    {
        m_ticker.setTimerType(Qt::PreciseTimer);
        m_ticker.setInterval(5);
        QObject::connect(&m_ticker, &QTimer::timeout, [this] {
            if (m_since.isValid()) {
                m_longest = std::max(m_longest, double(m_since.nsecsElapsed()) / 1e6);
            }
            m_since.start();
        });
        m_ticker.start();
    }

    void reset()
    {
        m_longest = 0;
        m_since.start();
    }

    double longest() const { return m_longest; }

private:
    QTimer m_ticker;
    QElapsedTimer m_since;
    double m_longest = 0;
};

/// Runs the event loop until `done` or `ms` pass, then `settleMs` more (to catch late repaints).
void runUntil(const std::function<bool()> &done, int ms, int settleMs = 300)
{
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    clock.start();
    while (clock.elapsed() < settleMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
}

QJsonObject measure(int features)
{
    test::FakeEngineClient engine;
    engine.setContrastFeatures(features);
    SelectionHub hub;
    ContrastPanel panel(&engine, &hub);
    engine.loadModel(
            {QStringLiteral("/models/demo"), QStringLiteral("cpu"), QStringLiteral("float32")});
    engine.loadSae({QStringLiteral("/saes/demo"), QStringLiteral("cpu")});
    auto set = loadPromptSet(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets/demo/demo-valence.json"));
    panel.setPromptSet(set->set);
    panel.resize(1200, 900);
    panel.show();
    StallMeter meter;
    runUntil([&] { return !engine.currentSae().path.isEmpty(); }, 5000);

    QJsonObject json;
    json[QStringLiteral("features")] = features;
    ContrastView *contrast = panel.contrastView();
    bool shown = false;
    QObject::connect(contrast, &ContrastView::resultShown, [&] { shown = true; });
    FeatureSortProxy *proxy = contrast->table()->proxy();
    meter.reset();
    contrast->run();
    runUntil([&] { return shown && !proxy->isSorting(); }, 60000);
    json[QStringLiteral("contrast_table_and_volcano_ms")] = meter.longest();
    double sortWorst = 0;
    for (int column = 2; column < contrast->table()->model()->columnCount(); ++column) {
        meter.reset();
        contrast->table()->sortByColumn(column, Qt::DescendingOrder);
        runUntil([&] { return !proxy->isSorting(); }, 30000, 100);
        sortWorst = std::max(sortWorst, meter.longest());
    }
    json[QStringLiteral("resort_each_column_ms")] = sortWorst;

    FeatureRsaView *rsa = panel.rsaView();
    bool mapShown = false;
    QObject::connect(rsa, &FeatureRsaView::resultShown, [&] { mapShown = true; });
    meter.reset();
    rsa->run();
    runUntil([&] { return mapShown; }, 60000);
    json[QStringLiteral("rsa_map_table_and_scatter_ms")] = meter.longest();
    const double worst =
            std::max({json[QStringLiteral("contrast_table_and_volcano_ms")].toDouble(), sortWorst,
                      json[QStringLiteral("rsa_map_table_and_scatter_ms")].toDouble()});
    json[QStringLiteral("longest_stall_ms")] = worst;
    json[QStringLiteral("stall_over_limit")] = worst / kLimitMs;
    return json;
}

}  // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QList<int> sizes;
    for (const QString &arg : QApplication::arguments().mid(1)) {
        sizes << arg.toInt();
    }
    if (sizes.isEmpty()) {
        sizes = {1536, 262144};
    }
    QJsonArray rows;
    for (const int features : sizes) {
        rows.append(measure(features));
    }
    QJsonObject json;
    json[QStringLiteral("views")] = rows;
    json[QStringLiteral("limit_ms")] = kLimitMs;
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Indented).constData());
    return 0;
}
