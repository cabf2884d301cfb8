// The longest GUI-thread stall while each view shows a result over an SAE of N features: the
// heatmap's feature x token matrix and the token's feature table, the inspector and its
// neighbours, the steering dock's feature picker and its search over every feature, the
// contrast table (sorted by q) and its volcano plot, re-sorting it by each column, the
// feature-wise RSA map (table and scatter) and the method comparison. Measured like
// bench/ui_latency: the gaps between ticks of a 5 ms timer on the GUI thread. The engine is the
// test suite's FakeEngineClient (synthetic statistics for N features), so the figure is the views'
// cost alone.
//   bench_scale_views [N ...]   (default 1536 262144; QT_QPA_PLATFORM=offscreen works)
// Prints JSON; the limit is 50 ms per view (a GUI frame budget of a few frames).

#include "core/prompts/prompt_set_io.h"
#include "core/session/selection_hub.h"
#include "tests/support/fake_engine_client.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/contrast_tab.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/feature_rsa_tab.h"
#include "widgets/panels/method_comparison_tab.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/feature_scatter_plot.h"
#include "widgets/views/feature_sort_proxy.h"
#include "widgets/views/feature_table_view.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <vector>

using namespace gyrus;
using namespace gyrus::widgets;

namespace {

constexpr double kLimitMs = 50.0;

double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

/// Ticks every 5 ms and remembers the longest gap since reset(): in wall time (what a user
/// feels) and in the GUI thread's own CPU time between ticks (the work done without returning to
/// the event loop; unlike wall time, it does not grow when other processes take the cores).
class StallMeter
{
public:
    StallMeter()
    {
        m_ticker.setTimerType(Qt::PreciseTimer);
        m_ticker.setInterval(5);
        QObject::connect(&m_ticker, &QTimer::timeout, [this] {
            const double cpu = threadCpuMs();
            if (m_since.isValid()) {
                m_longest = std::max(m_longest, double(m_since.nsecsElapsed()) / 1e6);
                m_longestCpu = std::max(m_longestCpu, cpu - m_cpuSince);
            }
            m_since.start();
            m_cpuSince = cpu;
        });
        m_ticker.start();
    }

    void reset()
    {
        m_longest = 0;
        m_longestCpu = 0;
        m_since.start();
        m_cpuSince = threadCpuMs();
    }

    double longest() const { return m_longest; }

    double longestCpu() const { return m_longestCpu; }

private:
    QTimer m_ticker;
    QElapsedTimer m_since;
    double m_cpuSince = 0;
    double m_longest = 0;
    double m_longestCpu = 0;
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

/// The longest stalls of each view, and the worst of them all.
class Stalls
{
public:
    explicit Stalls(StallMeter &meter)
        : m_meter(meter)
    {}

    /// Runs `start`, then the event loop until `done`, and records the stalls as `view`
    /// (keeping the worst when a view is measured more than once).
    void measure(const QString &view, const std::function<void()> &start,
                 const std::function<bool()> &done, int settleMs = 300)
    {
        if (qEnvironmentVariableIsSet("BENCH_SCALE_VIEWS_TRACE_MS")) {
            std::fprintf(stderr, "trace: view %s\n", qPrintable(view));
        }
        m_meter.reset();
        start();
        runUntil(done, 60000, settleMs);
        QJsonObject row = m_views.value(view).toObject();
        const bool finished = done();
        row[QStringLiteral("wall_ms")] =
                std::max(row.value(QStringLiteral("wall_ms")).toDouble(), m_meter.longest());
        row[QStringLiteral("gui_cpu_ms")] =
                std::max(row.value(QStringLiteral("gui_cpu_ms")).toDouble(), m_meter.longestCpu());
        if (!finished) {
            row[QStringLiteral("finished")] = false;
        }
        m_views[view] = row;
        m_worstWall = std::max(m_worstWall, m_meter.longest());
        m_worstCpu = std::max(m_worstCpu, m_meter.longestCpu());
    }

    QJsonObject json() const
    {
        QJsonObject out = m_views;
        out[QStringLiteral("longest_wall_ms")] = m_worstWall;
        out[QStringLiteral("longest_gui_cpu_ms")] = m_worstCpu;
        out[QStringLiteral("gui_cpu_over_limit")] = m_worstCpu / kLimitMs;
        return out;
    }

private:
    StallMeter &m_meter;
    QJsonObject m_views;
    double m_worstWall = 0;
    double m_worstCpu = 0;
};

QJsonObject measure(int features)
{
    test::FakeEngineClient engine;
    engine.setContrastFeatures(features);
    engine.setSavedScanAvailable(true);
    SelectionHub hub;
    // The docs exist before the SAE loads, as in the app (the inspector then opens its scan).
    TokenHeatmapPanel heatmap(&engine, &hub, nullptr);
    heatmap.resize(1200, 900);
    heatmap.show();
    FeatureInspectorPanel inspector(&engine, &hub);
    inspector.resize(900, 900);
    inspector.show();
    SteeringPanel steering(&engine, &hub);
    steering.resize(900, 900);
    steering.show();
    ContrastPanel panel(&engine, &hub);
    panel.resize(1200, 900);
    panel.show();
    engine.loadModel({QStringLiteral("/models/demo"), QStringLiteral("cpu"), Dtype::Float32});
    // The fake's SAE has as many features as the directory name says; a saved scan beside it
    // lets the inspector show details.
    QTemporaryDir root;
    const QString saeDir = root.filePath(QStringLiteral("width-%1").arg(features));
    QDir().mkpath(saeDir);
    QFile scan(QDir(saeDir).filePath(QStringLiteral("gyrus_scan.bin")));
    if (!scan.open(QIODevice::WriteOnly)) {
        std::fprintf(stderr, "bench_scale_views: cannot write %s\n", qPrintable(scan.fileName()));
    }
    scan.close();
    engine.loadSae({saeDir, QStringLiteral("cpu")});
    runUntil([&] { return !engine.currentSae().path.isEmpty(); }, 5000, 500);
    StallMeter meter;
    Stalls stalls(meter);

    // Heatmap dock: the feature x token matrix and the token's feature table.
    bool analysed = false;
    QObject::connect(&heatmap, &TokenHeatmapPanel::analysisShown, [&] { analysed = true; });
    stalls.measure(
            QStringLiteral("heatmap_matrix"),
            [&] {
                heatmap.analyzeText(QStringLiteral(
                        "The jury said the verdict was fair and the judge thanked them all."));
            },
            [&] { return analysed; });
    stalls.measure(
            QStringLiteral("token_feature_table"),
            [&] {
                heatmap.selectToken({0, 3});
            },
            [] { return false; }, 0);

    // Features dock: the inspector and its decoder-cosine neighbours of a feature near the end.
    int detailed = -1;
    QObject::connect(&inspector, &FeatureInspectorPanel::detailsShown,
                     [&](int feature) { detailed = feature; });
    const int picked = features - 7;
    stalls.measure(
            QStringLiteral("inspector_and_neighbours"),
            [&] { hub.selectFeature(picked, QStringLiteral("bench")); },
            [&] { return detailed == picked; });

    // Steering dock: the picked feature as a clamp, and the example search over every feature.
    stalls.measure(
            QStringLiteral("steering_feature_picker"), [&] { steering.addSelectedFeature(); },
            [] { return false; }, 100);
    stalls.measure(
            QStringLiteral("steering_example_all_features"), [&] { steering.runExample(); },
            [] { return false; }, 500);

    // Contrasts dock: contrast table + volcano, re-sorting, RSA map, method comparison.
    auto set = loadPromptSet(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/prompt-sets/demo/demo-valence.json"));
    panel.setPromptSet(set->set);
    runUntil([] { return false; }, 0, 100);
    ContrastTab *contrast = panel.contrastView();
    bool shown = false;
    QObject::connect(contrast, &ContrastTab::resultShown, [&] { shown = true; });
    FeatureSortProxy *proxy = contrast->table()->proxy();
    stalls.measure(
            QStringLiteral("contrast_table_and_volcano"), [&] { contrast->run(); },
            [&] { return shown && !proxy->isSorting() && !contrast->volcano()->isThinning(); });
    // BENCH_SCALE_VIEWS_SHOT=DIR: the Contrasts dock as it shows the result, as a picture.
    if (const QString shots = qEnvironmentVariable("BENCH_SCALE_VIEWS_SHOT"); !shots.isEmpty()) {
        runUntil([] { return false; }, 0, 1000);
        panel.grab().save(QDir(shots).filePath(QStringLiteral("contrast-%1.png").arg(features)));
    }
    for (int column = 2; column < contrast->table()->model()->columnCount(); ++column) {
        stalls.measure(
                QStringLiteral("contrast_resort_each_column"),
                [&] { contrast->table()->sortByColumn(column, Qt::DescendingOrder); },
                [&] { return !proxy->isSorting(); }, 100);
    }
    FeatureRsaTab *rsa = panel.rsaView();
    bool mapShown = false;
    QObject::connect(rsa, &FeatureRsaTab::resultShown, [&] { mapShown = true; });
    stalls.measure(
            QStringLiteral("rsa_map_table_and_scatter"), [&] { rsa->run(); },
            [&] {
                return mapShown && !rsa->table()->proxy()->isSorting() &&
                       !rsa->scatter()->isThinning();
            });
    MethodComparisonTab *methods = panel.methodsView();
    bool compared = false;
    QObject::connect(methods, &MethodComparisonTab::resultShown, [&] { compared = true; });
    stalls.measure(
            QStringLiteral("method_comparison"), [&] { methods->run(); }, [&] { return compared; });

    QJsonObject json = stalls.json();
    json[QStringLiteral("features")] = features;
    return json;
}

}  // namespace

/// With BENCH_SCALE_VIEWS_TRACE_MS=N, every event the GUI thread handles in N ms of its CPU time
/// or more is printed on stderr with its type and receiver (where a stall's time goes).
class TracingApplication : public QApplication
{
public:
    using QApplication::QApplication;

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (m_traceMs <= 0 || m_depth > 0 || QThread::currentThread() != thread()) {
            return QApplication::notify(receiver, event);
        }
        const int type = event->type();
        const QByteArray who = QByteArray(receiver->metaObject()->className()) + " '" +
                               receiver->objectName().toUtf8() + "'";
        ++m_depth;
        const double start = threadCpuMs();
        const bool handled = QApplication::notify(receiver, event);
        const double spent = threadCpuMs() - start;
        --m_depth;
        if (spent >= m_traceMs) {
            std::fprintf(stderr, "trace: %.1f ms CPU, event %d to %s\n", spent, type,
                         who.constData());
        }
        return handled;
    }

private:
    double m_traceMs = qEnvironmentVariableIntValue("BENCH_SCALE_VIEWS_TRACE_MS");
    int m_depth = 0;
};

int main(int argc, char *argv[])
{
    TracingApplication app(argc, argv);
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
