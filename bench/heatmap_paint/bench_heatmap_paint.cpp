// bench_heatmap_paint: the GUI-thread cost of the token heatmap's views on synthetic analyses as
// big as issue 8 asks for (a 2,000-token prompt; a 200-item prompt set), as a ratio against the
// 16 ms frame budget (< 1: fits in a frame at 60 Hz). Prints JSON. Runs offscreen.
//   bench_heatmap_paint [--tokens 2000] [--items 200] [--rounds 200]

#include "widgets/feature_matrix_view.h"
#include "widgets/token_strip_view.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMouseEvent>
#include <QScrollBar>

#include <cstdio>
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

double millisecondsOf(const std::function<void()> &work, int rounds)
{
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < rounds; ++i) {
        work();
    }
    return double(clock.nsecsElapsed()) / 1e6 / rounds;
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

QJsonObject entry(double ms)
{
    return QJsonObject{{QStringLiteral("ms"), ms},
                       {QStringLiteral("ratio_to_16ms_frame"), ms / kFrameBudgetMs}};
}

// The strip view's costs on one analysis.
QJsonObject measureStrip(const TokenAnalysisPtr &analysis, const QStringList &labels, int rounds)
{
    TokenStripView view;
    view.resize(1000, 640);
    settle(&view);
    QJsonObject result;
    result.insert(QStringLiteral("tokens"), analysis->totalTokens());
    result.insert(QStringLiteral("set_analysis"),
                  entry(millisecondsOf(
                          [&] {
                              view.setAnalysis(analysis, labels);
                              view.setSource(TokenStripView::Source::Feature, 3);
                          },
                          1)));
    result.insert(QStringLiteral("first_paint"),
                  entry(millisecondsOf([&] { paint(view.viewport()); }, 1)));
    result.insert(QStringLiteral("tiles_rendered_first_paint"), view.tileRenderCount());
    result.insert(QStringLiteral("repaint_cached"),
                  entry(millisecondsOf([&] { paint(view.viewport()); }, rounds)));
    // Hover: move over successive tokens; each move repaints what changed (two outlines).
    const int layouts = view.layoutCount();
    const int tiles = view.tileRenderCount();
    int next = 0;
    const int visibleTokens = std::min(analysis->texts.front().tokenCount(), 300);
    result.insert(
            QStringLiteral("hover_move"),
            entry(millisecondsOf(
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
                        QApplication::processEvents();  // the queued partial repaint
                    },
                    rounds)));
    result.insert(QStringLiteral("hover_relayouts"), view.layoutCount() - layouts);
    result.insert(QStringLiteral("hover_tile_renders"), view.tileRenderCount() - tiles);
    int feature = 0;
    result.insert(QStringLiteral("recolour_and_repaint"),
                  entry(millisecondsOf(
                          [&] {
                              view.setSource(TokenStripView::Source::Feature, feature++ % 64);
                              paint(view.viewport());
                          },
                          std::max(1, rounds / 10))));
    QScrollBar *bar = view.verticalScrollBar();
    int step = 0;
    result.insert(QStringLiteral("scroll_and_repaint"),
                  entry(millisecondsOf(
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
    result.insert(QStringLiteral("set_text"),
                  entry(millisecondsOf([&] { view.setText(analysis, 0); }, 1)));
    result.insert(QStringLiteral("repaint"),
                  entry(millisecondsOf([&] { paint(view.viewport()); }, rounds)));
    result.insert(QStringLiteral("zoom_and_repaint"), entry(millisecondsOf(
                                                              [&] {
                                                                  view.zoomIn();
                                                                  view.zoomOut();
                                                                  paint(view.viewport());
                                                              },
                                                              rounds)));
    result.insert(QStringLiteral("sort_and_repaint"),
                  entry(millisecondsOf(
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
