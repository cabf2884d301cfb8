// The Token heatmap dock with FakeEngineClient: empty states, selection through the
// SelectionHub in both directions, token selection and tooltips, click-to-clamp, prompt sets.

#include "core/features/token_feature_model.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/token_heatmap_panel.h"
#include "widgets/views/activation_colour_map.h"
#include "widgets/views/colour_legend.h"
#include "widgets/views/feature_matrix_view.h"
#include "widgets/views/token_strip_view.h"

#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace gyrus;
using gyrus::test::FakeEngineClient;
using gyrus::widgets::ColourScale;
using gyrus::widgets::FeatureMatrixView;
using gyrus::widgets::TokenHeatmapPanel;
using gyrus::widgets::TokenRef;
using gyrus::widgets::TokenStripView;

namespace {

const QString kText = QStringLiteral("the court said that the judge ruled");
constexpr int kDSae = 1024;  // FakeEngineClient::saeCardFor

// The words of kText as the fake tokenises them (token k + 1 is word k).
QStringList words()
{
    return kText.split(QLatin1Char(' '));
}

// Token t's activation of `feature` as the fake defines it.
float fakeValue(int token, int feature)
{
    for (const FeatureValue &entry :
         FakeEngineClient::fakeActivations(words().at(token - 1), kDSae)) {
        if (entry.feature == feature) {
            return entry.value;
        }
    }
    return 0.0f;
}

}  // namespace

class TestTokenHeatmapPanel : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<FakeEngineClient> m_engine;
    std::unique_ptr<SelectionHub> m_hub;
    std::unique_ptr<TokenHeatmapPanel> m_panel;

    void load(bool model, bool sae)
    {
        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        if (model) {
            const RequestId id = m_engine->loadModel(ModelSpec{QStringLiteral("/models/demo")});
            QTRY_VERIFY(test::hasFinished(finished, id));
        }
        if (sae) {
            const RequestId id = m_engine->loadSae(SaeSpec{QStringLiteral("/saes/demo")});
            QTRY_VERIFY(test::hasFinished(finished, id));
        }
    }

    void analyse(const QString &text)
    {
        QSignalSpy shown(m_panel.get(), &TokenHeatmapPanel::analysisShown);
        m_panel->analyzeText(text);
        QTRY_COMPARE(shown.count(), 1);
    }

private Q_SLOTS:

    void init()
    {
        m_engine = std::make_unique<FakeEngineClient>();
        m_engine->setLoadSlices(1);
        m_hub = std::make_unique<SelectionHub>();
        m_panel = std::make_unique<TokenHeatmapPanel>(m_engine.get(), m_hub.get(), nullptr);
        m_panel->resize(1000, 700);
        m_panel->show();
    }

    void cleanup()
    {
        m_panel.reset();
        m_hub.reset();
        m_engine.reset();
    }

    void emptyStatesSayWhatIsMissing()
    {
        QVERIFY(m_panel->isShowingEmptyState());
        QVERIFY2(m_panel->emptyStateText().contains(QLatin1String("No model")),
                 qPrintable(m_panel->emptyStateText()));
        load(true, false);
        QVERIFY(m_panel->isShowingEmptyState());
        QVERIFY2(m_panel->emptyStateText().contains(QLatin1String("No SAE")),
                 qPrintable(m_panel->emptyStateText()));
        load(false, true);
        QVERIFY(m_panel->emptyStateText().contains(QLatin1String("Nothing analysed")));
        // An empty prompt is refused in words, and nothing is sent to the engine.
        const int requests = m_engine->log().size();
        m_panel->analyzeText(QStringLiteral("   "));
        QVERIFY2(m_panel->statusText().contains(QLatin1String("the prompt is empty")),
                 qPrintable(m_panel->statusText()));
        QCOMPARE(m_engine->log().size(), requests);
        // While the first analysis runs the panel says so, not "nothing analysed".
        m_engine->setSliceMs(50);
        QSignalSpy shown(m_panel.get(), &TokenHeatmapPanel::analysisShown);
        m_panel->analyzeText(kText);
        QVERIFY2(m_panel->emptyStateText().contains(QLatin1String("Analysing")),
                 qPrintable(m_panel->emptyStateText()));
        QTRY_COMPARE(shown.count(), 1);
        m_engine->setSliceMs(2);
        QVERIFY(!m_panel->isShowingEmptyState());
        QCOMPARE(m_panel->analysis()->texts.front().tokenCount(), words().size() + 1);
    }

    void firstAnalysisSelectsItsTopFeatureEverywhere()
    {
        load(true, true);
        analyse(kText);
        // The largest non-BOS activation of the fake, computed here from its definition.
        int best = -1;
        float bestValue = 0.0f;
        for (int t = 1; t <= words().size(); ++t) {
            for (const FeatureValue &entry :
                 FakeEngineClient::fakeActivations(words().at(t - 1), kDSae)) {
                if (entry.value > bestValue || (entry.value == bestValue && entry.feature < best)) {
                    bestValue = entry.value;
                    best = entry.feature;
                }
            }
        }
        QCOMPARE(m_hub->selectedFeature(), best);
        QCOMPARE(m_panel->stripView()->sourceIndex(), best);
        QCOMPARE(m_panel->stripView()->scaleMaximum(), double(bestValue));
        QCOMPARE(m_panel->legend()->maximum(), double(bestValue));
    }

    void clickingAMatrixRowSelectsTheFeatureInTheHub()
    {
        load(true, true);
        analyse(kText);
        FeatureMatrixView *matrix = m_panel->matrixView();
        QVERIFY(matrix->rows().size() >= 2);
        int feature = -1;
        for (const FeatureSummary &row : matrix->rows()) {
            if (row.feature != m_hub->selectedFeature()) {
                feature = row.feature;
                break;
            }
        }
        QSignalSpy selected(m_hub.get(), &SelectionHub::featureSelected);
        const QRect cell = matrix->cellRect(feature, 1);
        QVERIFY(!cell.isEmpty());
        QTest::mouseClick(matrix->viewport(), Qt::LeftButton, Qt::NoModifier, cell.center());
        QCOMPARE(m_hub->selectedFeature(), feature);
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.at(0).at(1).toString(), QStringLiteral("heatmap"));
        QCOMPARE(m_panel->stripView()->sourceIndex(), feature);  // the tokens follow
    }

    void aSelectionFromElsewhereRecoloursTheTokens()
    {
        load(true, true);
        analyse(kText);
        // Token 2 (" court")'s weakest feature: active there, and a known value.
        const std::vector<FeatureValue> court =
                FakeEngineClient::fakeActivations(words().at(1), kDSae);
        const int feature = court.front().feature;
        m_hub->selectFeature(feature, QStringLiteral("inspector"));
        TokenStripView *strip = m_panel->stripView();
        QCOMPARE(strip->sourceIndex(), feature);
        const TokenRef token{0, 2};
        QCOMPARE(strip->value(token), fakeValue(2, feature));
        double max = 0.0;
        for (int t = 1; t <= words().size(); ++t) {
            max = std::max(max, double(fakeValue(t, feature)));
        }
        QCOMPARE(strip->scaleMaximum(), max);
        const QRgb expected =
                widgets::activationColour(ColourScale::Sequential, fakeValue(2, feature), max);
        QVERIFY(qAlpha(expected) != 0);
        QCOMPARE(strip->tokenColour(token), expected);
        // And that is what is on screen: the cell's corner (away from the text) has the colour.
        const QImage shot = strip->viewport()->grab().toImage();
        const QRect rect = strip->tokenRect(token);
        QVERIFY(!rect.isEmpty());
        const qreal ratio = shot.devicePixelRatio();
        QCOMPARE(QColor(shot.pixel(QPoint(rect.left() + 1, rect.top() + 1) * ratio)).rgb(),
                 QColor(expected).rgb());
        // A token where the feature is silent stays unpainted.
        int silent = -1;
        for (int t = 1; t <= words().size(); ++t) {
            if (fakeValue(t, feature) == 0.0f) {
                silent = t;
                break;
            }
        }
        QVERIFY(silent > 0);
        QCOMPARE(qAlpha(strip->tokenColour(TokenRef{0, silent})), 0);
    }

    void selectingATokenListsItsTopFeatures()
    {
        load(true, true);
        analyse(kText);
        TokenStripView *strip = m_panel->stripView();
        const TokenRef token{0, 3};  // " said"
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, Qt::NoModifier,
                          strip->tokenRect(token).center());
        QCOMPARE(strip->selectedToken(), token);
        std::vector<FeatureValue> expected =
                FakeEngineClient::fakeActivations(words().at(2), kDSae);
        std::sort(expected.begin(), expected.end(),
                  [](const FeatureValue &a, const FeatureValue &b) { return a.value > b.value; });
        TokenFeatureModel *model = m_panel->tokenFeatures();
        QCOMPARE(model->rowCount(), int(expected.size()));
        for (int row = 0; row < model->rowCount(); ++row) {
            QCOMPARE(model->featureAt(row), expected[size_t(row)].feature);
            QCOMPARE(model->index(row, TokenFeatureModel::ActivationColumn)
                             .data(TokenFeatureModel::ValueRole)
                             .toDouble(),
                     double(expected[size_t(row)].value));
        }
        // The hover tooltip names the token and its top features with their values.
        const QString tip = m_panel->toolTipFor(token);
        QVERIFY2(tip.contains(QLatin1String("said")), qPrintable(tip));
        for (const FeatureValue &entry : expected) {
            QVERIFY2(tip.contains(QStringLiteral("#%1").arg(entry.feature)), qPrintable(tip));
        }
        // Clicking a listed feature selects it everywhere.
        QTableView *table = m_panel->tokenFeatureTable();
        const QRect row1 = table->visualRect(model->index(1, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::NoModifier, row1.center());
        QCOMPARE(m_hub->selectedFeature(), expected[1].feature);
        QCOMPARE(strip->sourceIndex(), expected[1].feature);
    }

    void aTokenPickedInAnotherDockIsSelectedHere()
    {
        // The Attribution dock picks a position of its prompt through the hub.
        load(true, true);
        analyse(QStringLiteral("another text"));
        QSignalSpy shown(m_panel.get(), &TokenHeatmapPanel::analysisShown);
        m_hub->pickToken(kText, 3, QStringLiteral("attribution"));
        QTRY_COMPARE(shown.count(), 1);  // another text was shown: the picked one is analysed
        QCOMPARE(m_panel->analysis()->texts.size(), size_t(1));
        QCOMPARE(m_panel->analysis()->texts.front().text, kText);
        QCOMPARE(m_panel->stripView()->selectedToken(), (TokenRef{0, 3}));
        // The same text again: the token is selected at once, without a new analysis.
        m_hub->pickToken(kText, 5, QStringLiteral("attribution"));
        QTRY_COMPARE(m_panel->stripView()->selectedToken(), (TokenRef{0, 5}));
        QCOMPARE(shown.count(), 1);
    }

    void labelsFromTheHubAppearBesideFeatureIds()
    {
        load(true, true);
        analyse(kText);
        const TokenRef token{0, 2};
        QTest::mouseClick(m_panel->stripView()->viewport(), Qt::LeftButton, Qt::NoModifier,
                          m_panel->stripView()->tokenRect(token).center());
        TokenFeatureModel *model = m_panel->tokenFeatures();
        QVERIFY(model->rowCount() > 0);
        const int feature = model->featureAt(0);
        QCOMPARE(model->index(0, TokenFeatureModel::LabelColumn).data().toString(), QString());
        m_hub->setAnnotation(feature, FeatureAnnotation{QStringLiteral("legal words"), {}});
        QCOMPARE(model->index(0, TokenFeatureModel::LabelColumn).data().toString(),
                 QStringLiteral("legal words"));
        const QString tip = m_panel->toolTipFor(token);
        QVERIFY2(tip.contains(QStringLiteral("#%1 legal words").arg(feature)), qPrintable(tip));
    }

    void shiftClickAddsAClampAtTheTextsMaximum()
    {
        load(true, true);
        analyse(kText);
        TokenStripView *strip = m_panel->stripView();
        const int shown = strip->sourceIndex();
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, Qt::ShiftModifier,
                          strip->tokenRect(TokenRef{0, 4}).center());
        QCOMPARE(m_hub->clampSet().clamps.size(), 1);
        const FeatureClamp clamp = m_hub->clampSet().clamps.front();
        QCOMPARE(clamp.feature, shown);
        QCOMPARE(clamp.mode, ClampMode::Clamp);
        QCOMPARE(clamp.value, strip->scaleMaximum());
        // From the selected token's feature list.
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, Qt::NoModifier,
                          strip->tokenRect(TokenRef{0, 5}).center());
        QTableView *table = m_panel->tokenFeatureTable();
        const int listed = m_panel->tokenFeatures()->featureAt(2);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::ShiftModifier,
                          table->visualRect(m_panel->tokenFeatures()->index(2, 0)).center());
        QCOMPARE(m_hub->clampSet().clamps.size(), 2);
        QCOMPARE(m_hub->clampSet().clamps.back().feature, listed);
        double max = 0.0;
        for (int t = 1; t <= words().size(); ++t) {
            max = std::max(max, double(fakeValue(t, listed)));
        }
        QCOMPARE(m_hub->clampSet().clamps.back().value, max);
        // From a matrix row.
        FeatureMatrixView *matrix = m_panel->matrixView();
        const int row = matrix->rows().back().feature;
        QTest::mouseClick(matrix->viewport(), Qt::LeftButton, Qt::ShiftModifier,
                          matrix->cellRect(row, 1).center());
        QCOMPARE(m_hub->clampSet().indexOf(row) >= 0, true);
        QCOMPARE(m_hub->selectedFeature(), shown);  // clamping does not change the selection
    }

    void matrixSortsAndZooms()
    {
        load(true, true);
        analyse(kText);
        FeatureMatrixView *matrix = m_panel->matrixView();
        const auto check = [matrix](FeatureMatrixView::SortOrder order) {
            matrix->setSortOrder(order);
            const std::vector<FeatureSummary> &rows = matrix->rows();
            for (size_t i = 1; i < rows.size(); ++i) {
                switch (order) {
                    case FeatureMatrixView::SortOrder::ByMax:
                        QVERIFY(rows[i - 1].max >= rows[i].max);
                        break;
                    case FeatureMatrixView::SortOrder::ByMean:
                        QVERIFY(rows[i - 1].mean >= rows[i].mean);
                        break;
                    case FeatureMatrixView::SortOrder::ByFeature:
                        QVERIFY(rows[i - 1].feature < rows[i].feature);
                        break;
                }
            }
        };
        check(FeatureMatrixView::SortOrder::ByFeature);
        check(FeatureMatrixView::SortOrder::ByMean);
        check(FeatureMatrixView::SortOrder::ByMax);
        const int width = matrix->columnWidth();
        matrix->zoomIn();
        QVERIFY(matrix->columnWidth() > width);
        const int feature = matrix->rows().front().feature;
        QCOMPARE(matrix->cellRect(feature, 2).width(), matrix->columnWidth());
        QVERIFY(qAlpha(matrix->cellColour(feature, 2)) != 0);
    }

    void promptSetItemsAreRows()
    {
        load(true, true);
        PromptSet set;
        set.name = QStringLiteral("pairs");
        for (int i = 0; i < 3; ++i) {
            PromptItem item;
            item.id = QStringLiteral("item-%1").arg(i);
            item.text = QStringLiteral("the court said %1").arg(QString(QChar(u'a' + i)));
            set.items << item;
        }
        QSignalSpy shown(m_panel.get(), &TokenHeatmapPanel::analysisShown);
        m_panel->analyzePromptSet(set);
        QTRY_COMPARE(shown.count(), 1);
        const TokenAnalysisPtr analysis = m_panel->analysis();
        QCOMPARE(int(analysis->texts.size()), 3);
        TokenStripView *strip = m_panel->stripView();
        // Each item starts its own row, below the previous one.
        QVERIFY(strip->tokenRect(TokenRef{1, 0}).top() > strip->tokenRect(TokenRef{0, 4}).top());
        QVERIFY(strip->tokenRect(TokenRef{2, 0}).top() > strip->tokenRect(TokenRef{1, 4}).top());
        // Clicking a token of the third item shows that item in the matrix.
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, Qt::NoModifier,
                          strip->tokenRect(TokenRef{2, 4}).center());
        QCOMPARE(m_panel->currentText(), 2);
    }

    void followsThePromptSetsDock()
    {
        load(true, true);
        // As the main window wires it: the dock writes the session's set, the engine its loads,
        // and the heatmap observes the session.
        widgets::PromptSetsPanel sets;
        SessionState session;
        session.follow(m_engine.get());
        connect(&sets, &widgets::PromptSetsPanel::promptSetChanged, &session,
                &SessionState::setPromptSet);
        TokenHeatmapPanel panel(m_engine.get(), m_hub.get(), &session);
        panel.resize(1000, 700);
        panel.show();
        const QString path = test::sourcePath(
                QStringLiteral("datasets/prompt-sets/demo/demo-tense-number.json"));
        QVERIFY2(sets.openFile(path).isOk(), qPrintable(path));
        const PromptSet open = sets.promptSet();
        QVERIFY(open.items.size() > 1);
        QSignalSpy shown(&panel, &TokenHeatmapPanel::analysisShown);
        panel.analyzeCurrentPromptSet();
        QTRY_COMPARE(shown.count(), 1);
        QCOMPARE(int(panel.analysis()->texts.size()), open.items.size());
        for (int i = 0; i < open.items.size(); ++i) {
            QCOMPARE(panel.analysis()->texts[size_t(i)].text, open.items.at(i).text);
        }
        // An edit in the Prompt sets dock re-analyses the set (debounced).
        sets.removeItems({0});
        QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 2, 5000);
        QCOMPARE(int(panel.analysis()->texts.size()), open.items.size() - 1);
        QCOMPARE(panel.analysis()->texts.front().text, open.items.at(1).text);
    }

    void hoverNeitherReLaysOutNorRepaintsTiles()
    {
        load(true, true);
        analyse(kText);
        TokenStripView *strip = m_panel->stripView();
        QApplication::processEvents();
        const int layouts = strip->layoutCount();
        const int tiles = strip->tileRenderCount();
        for (int t = 1; t <= words().size(); ++t) {
            const QRect rect = strip->tokenRect(TokenRef{0, t});
            QTest::mouseMove(strip->viewport(), rect.center());
            QApplication::processEvents();
            QCOMPARE(strip->hoveredToken(), (TokenRef{0, t}));
        }
        QCOMPARE(strip->layoutCount(), layouts);
        QCOMPARE(strip->tileRenderCount(), tiles);
        // A new colouring re-renders tiles (and only that: the layout stays).
        m_hub->selectFeature(FakeEngineClient::fakeActivations(words().at(0), kDSae).back().feature,
                             QStringLiteral("inspector"));
        strip->viewport()->repaint();
        QCOMPARE(strip->layoutCount(), layouts);
    }

    void hookDimensionModeUsesTheRawVector()
    {
        load(true, true);
        analyse(kText);
        // Hook vectors are fetched only when asked for: switching asks for them.
        QVERIFY(m_panel->analysis()->texts.front().hook.empty());
        const TokenRef selected{0, 3};
        m_panel->selectToken(selected);
        QSignalSpy shown(m_panel.get(), &TokenHeatmapPanel::analysisShown);
        m_panel->setHookDimensionMode(true, 5);
        QTRY_COMPARE(shown.count(), 1);
        QVERIFY(!m_panel->analysis()->texts.front().hook.empty());
        TokenStripView *strip = m_panel->stripView();
        QCOMPARE(strip->selectedToken(), selected);  // the user's place is kept
        QCOMPARE(strip->source(), TokenStripView::Source::HookDimension);
        const TextActivations &text = m_panel->analysis()->texts.front();
        const float expected = text.hook[size_t(2) * 256 + 5];
        QCOMPARE(strip->value(TokenRef{0, 2}), expected);
        QCOMPARE(strip->colourScale(), ColourScale::Diverging);
        QCOMPARE(
                strip->tokenColour(TokenRef{0, 2}),
                widgets::activationColour(ColourScale::Diverging, expected, strip->scaleMaximum()));
        // Back to features: the hub's selection colours again.
        m_panel->setHookDimensionMode(false);
        QCOMPARE(strip->sourceIndex(), m_hub->selectedFeature());
    }

    void engineErrorsShowInTheStatusLine()
    {
        load(true, true);
        m_panel->analyzeText(QStringLiteral("   "));
        QVERIFY2(m_panel->statusText().contains(QLatin1String("Type a prompt")),
                 qPrintable(m_panel->statusText()));
        QVERIFY(!m_panel->analysis());
    }
};

QTEST_MAIN(TestTokenHeatmapPanel)
#include "tst_token_heatmap_panel.moc"
