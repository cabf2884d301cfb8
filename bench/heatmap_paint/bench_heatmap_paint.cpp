// bench_heatmap_paint: the GUI-thread cost of the token heatmap's views on synthetic analyses as
// big as a researcher uses (a 2,000-token prompt; a 200-item prompt set), as a ratio against the
// 16 ms frame budget (< 1: fits in a frame at 60 Hz), in GUI-thread CPU time (wall time is
// printed too). Prints JSON. Runs offscreen.
//   bench_heatmap_paint [--tokens 2000] [--items 200] [--rounds 200]

#include "widgets/views/feature_matrix_view.h"
#include "widgets/views/token_strip_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMouseEvent>
#include <QScrollBar>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

using namespace gyrus;
using gyrus::widgets::FeatureMatrixView;
using gyrus::widgets::TokenRef;
using gyrus::widgets::TokenStripView;

namespace {

constexpr double kFrameBudgetMs = 16.0;
constexpr int kDSae = 16384;
constexpr int kActive = 64;  // a TopK SAE's k
constexpr int kDModel = 512;

// Words of varied length, so the layout wraps irregularly as real text does.
const char *const kWords[] = {" the",   " court", " said", ",",    " and",     " a",
                              " river", " of",    "ing",   " New", " York",    ".",
                              " he",    " which", " 1",    "9",    " between", " ("};

TextActivations syntheticText(int tokens, std::mt19937 &rng)
{
    std::uniform_int_distribution<int> word(0, int(std::size(kWords)) - 1);
    std::uniform_int_distribution<int> feature(0, kDSae - 1);
    std::exponential_distribution<float> value(0.5f);
    std::normal_distribution<float> hook(0.0f, 1.0f);
    TextActivations text;
    text.appendToken(AnalyzedToken{1, QStringLiteral("<s>"), 0, 0, true}, {{0, 40.0f}});
    for (int t = 1; t < tokens; ++t) {
        const QString piece = QString::fromLatin1(kWords[word(rng)]);
        std::vector<FeatureValue> active;
        for (int k = 0; k < kActive; ++k) {
            active.push_back({feature(rng) % (k < 8 ? 64 : kDSae), 0.01f + value(rng)});
        }
        std::sort(active.begin(), active.end(), [](const FeatureValue &a, const FeatureValue &b) {
            return a.feature < b.feature;
        });
        active.erase(std::unique(active.begin(), active.end(),
                                 [](const FeatureValue &a, const FeatureValue &b) {
                                     return a.feature == b.feature;
                                 }),
                     active.end());
        const int begin = text.text.size();
        text.text += piece;
        text.appendToken(AnalyzedToken{t % 4096, piece, begin, int(text.text.size()), false},
                         active);
    }
    text.hook.resize(size_t(tokens) * kDModel);
    for (float &x : text.hook) {
        x = hook(rng);
    }
    return text;
}

TokenAnalysisPtr syntheticAnalysis(int texts, int tokensPerText)
{
    std::mt19937 rng(7);
    auto analysis = std::make_shared<TokenAnalysis>();
    analysis->hookName = QStringLiteral("blocks.2.hook_resid_post");
    analysis->dModel = kDModel;
    analysis->dSae = kDSae;
    for (int i = 0; i < texts; ++i) {
        analysis->texts.push_back(syntheticText(tokensPerText, rng));
    }
    return analysis;
}

// CPU time of the calling (GUI) thread: what the work costs, unlike wall time, which on a
// shared machine also counts the time the scheduler gave to other processes.
double threadCpuMs()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

struct Cost
{
    double cpuMs = 0;   // median thread CPU time
    double wallMs = 0;  // median wall time
};

// Medians over `rounds` runs: robust to the scheduler's pauses.
Cost costOf(const std::function<void()> &work, int rounds)
{
    std::vector<double> cpu;
    std::vector<double> wall;
    QElapsedTimer clock;
    for (int i = 0; i < rounds; ++i) {
        const double start = threadCpuMs();
        clock.start();
        work();
        wall.push_back(double(clock.nsecsElapsed()) / 1e6);
        cpu.push_back(threadCpuMs() - start);
    }
    const auto median = [](std::vector<double> &v) {
        std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    return {median(cpu), median(wall)};
}

// Paints the view's viewport now, as a paint event would (QWidget::render calls paintEvent);
// widget repaint() is a no-op on a window the offscreen platform has not exposed yet.
void paint(QWidget *viewport)
{
    static QImage target;
    if (target.size() != viewport->size()) {
        target = QImage(viewport->size(), QImage::Format_ARGB32_Premultiplied);
    }
    viewport->render(&target);
}

// Shows the view and lets its first resize and layout happen before anything is measured.
void settle(QWidget *view)
{
    view->show();
    for (int i = 0; i < 5; ++i) {
        QApplication::processEvents();
    }
}

QJsonObject entry(const Cost &cost)
{
    return QJsonObject{{QStringLiteral("cpu_ms"), cost.cpuMs},
                       {QStringLiteral("wall_ms"), cost.wallMs},
                       {QStringLiteral("ratio_to_16ms_frame"), cost.cpuMs / kFrameBudgetMs}};
}

// The strip view's costs on one analysis.
QJsonObject measureStrip(const TokenAnalysisPtr &analysis, const QStringList &labels, int rounds)
{
    TokenStripView view;
    view.resize(1000, 640);
    settle(&view);
    QJsonObject result;
    result.insert(QStringLiteral("tokens"), analysis->totalTokens());
    // A new analysis: layout and colours, then its first paint (renders the visible tiles).
    const int newRounds = std::max(3, rounds / 20);
    result.insert(QStringLiteral("set_analysis"),
                  entry(costOf(
                          [&] {
                              view.setAnalysis(analysis, labels);
                              view.setSource(TokenStripView::Source::Feature, 3);
                              paint(view.viewport());
                          },
                          newRounds)));
    result.insert(QStringLiteral("first_paint"),
                  entry(costOf(
                          [&] {
                              view.setSource(TokenStripView::Source::Feature, 4);
                              view.setSource(TokenStripView::Source::Feature, 3);
                              paint(view.viewport());
                          },
                          newRounds)));
    result.insert(QStringLiteral("tiles_per_first_paint"),
                  double(view.tileRenderCount()) / (2 * newRounds));
    result.insert(QStringLiteral("repaint_cached"),
                  entry(costOf([&] { paint(view.viewport()); }, rounds)));
    // Hover: move over successive tokens; each move repaints what changed (two outlines).
    const int layouts = view.layoutCount();
    const int tiles = view.tileRenderCount();
    int next = 0;
    const int visibleTokens = std::min(analysis->texts.front().tokenCount(), 300);
    result.insert(
            QStringLiteral("hover_move"),
            entry(costOf(
                    [&] {
                        TokenRef ref{0, 1 + next++ % (visibleTokens - 1)};
                        const QRect rect = view.tokenRect(ref);
                        if (rect.isEmpty() || rect.bottom() > view.viewport()->height()) {
                            next = 0;
                            ref = TokenRef{0, 1};
                        }
                        QMouseEvent move(
                                QEvent::MouseMove, QPointF(view.tokenRect(ref).center()),
                                view.viewport()->mapToGlobal(QPointF(view.tokenRect(ref).center())),
                                Qt::NoButton, Qt::NoButton, Qt::NoModifier);
                        QApplication::sendEvent(view.viewport(), &move);
                        paint(view.viewport());  // upper bound: the whole viewport
                    },
                    rounds)));
    result.insert(QStringLiteral("hover_relayouts"), view.layoutCount() - layouts);
    result.insert(QStringLiteral("hover_tile_renders"), view.tileRenderCount() - tiles);
    int feature = 0;
    result.insert(QStringLiteral("recolour_and_repaint"),
                  entry(costOf(
                          [&] {
                              view.setSource(TokenStripView::Source::Feature, feature++ % 64);
                              paint(view.viewport());
                          },
                          std::max(1, rounds / 10))));
    QScrollBar *bar = view.verticalScrollBar();
    int step = 0;
    result.insert(QStringLiteral("scroll_and_repaint"),
                  entry(costOf(
                          [&] {
                              bar->setValue((step++ * 97) % std::max(1, bar->maximum() + 1));
                              paint(view.viewport());
                          },
                          rounds)));
    return result;
}

QJsonObject measureMatrix(const TokenAnalysisPtr &analysis, int rounds)
{
    FeatureMatrixView view;
    view.resize(1000, 420);
    settle(&view);
    QJsonObject result;
    result.insert(QStringLiteral("set_text"), entry(costOf(
                                                      [&] {
                                                          view.setText(analysis, 0);
                                                          paint(view.viewport());
                                                      },
                                                      std::max(3, rounds / 20))));
    result.insert(QStringLiteral("repaint"),
                  entry(costOf([&] { paint(view.viewport()); }, rounds)));
    result.insert(QStringLiteral("zoom_and_repaint"), entry(costOf(
                                                              [&] {
                                                                  view.zoomIn();
                                                                  view.zoomOut();
                                                                  paint(view.viewport());
                                                              },
                                                              rounds)));
    result.insert(QStringLiteral("sort_and_repaint"),
                  entry(costOf(
                          [&] {
                              view.setSortOrder(FeatureMatrixView::SortOrder::ByMean);
                              view.setSortOrder(FeatureMatrixView::SortOrder::ByMax);
                              paint(view.viewport());
                          },
                          std::max(1, rounds / 10))));
    return result;
}

}  // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Token heatmap paint/hover cost (JSON)."));
    parser.addHelpOption();
    const QCommandLineOption tokens(QStringLiteral("tokens"), QStringLiteral("Prompt length."),
                                    QStringLiteral("N"), QStringLiteral("2000"));
    const QCommandLineOption items(QStringLiteral("items"), QStringLiteral("Prompt-set items."),
                                   QStringLiteral("N"), QStringLiteral("200"));
    const QCommandLineOption rounds(QStringLiteral("rounds"),
                                    QStringLiteral("Repetitions per measure."), QStringLiteral("N"),
                                    QStringLiteral("200"));
    parser.addOptions({tokens, items, rounds});
    parser.process(app);
    const int n = std::max(2, parser.value(tokens).toInt());
    const int m = std::max(1, parser.value(items).toInt());
    const int r = std::max(1, parser.value(rounds).toInt());

    const TokenAnalysisPtr prompt = syntheticAnalysis(1, n);
    const TokenAnalysisPtr set = syntheticAnalysis(m, 24);
    QStringList labels;
    for (int i = 0; i < m; ++i) {
        labels << QStringLiteral("item-%1").arg(i);
    }
    QJsonObject report;
    report.insert(QStringLiteral("frame_budget_ms"), kFrameBudgetMs);
    report.insert(QStringLiteral("d_sae"), kDSae);
    report.insert(QStringLiteral("active_per_token"), kActive);
    report.insert(QStringLiteral("long_prompt"), measureStrip(prompt, {}, r));
    report.insert(QStringLiteral("prompt_set"), measureStrip(set, labels, r));
    report.insert(QStringLiteral("matrix_long_prompt"), measureMatrix(prompt, r));
    std::printf("%s\n", QJsonDocument(report).toJson(QJsonDocument::Indented).constData());
    return 0;
}
