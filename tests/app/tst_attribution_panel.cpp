// The Attribution dock on the demo model and SAE with the real engine: its ranked list, sum
// check, per-position nodes and verification equal `gyrus-cli attribute`'s JSON for the same
// prompt and target; a click in the list or the matrix selects the feature in the SelectionHub
// (and a selection made elsewhere is followed); the logit lens's last row names the model's own
// top next tokens (an independent forward here); the attention tab asks for one layer at a time
// (the outcome holds that layer only, equal to it in every layer's patterns computed at once),
// every row sums to 1 and a thumbnail click enlarges its head. With an SAE of another layer added
// in the dock ("Other layers"), the engine attributes to both in one pass: the dock's groups
// equal `gyrus-cli attribute --sae A --sae B`, the list has a layer column, the matrix shows one
// layer at a time, and only the loaded SAE's features are selected in the other docks.

#include "core/features/token_display.h"
#include "core/session/selection_hub.h"
#include "gpu/analysis/attention_patterns.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/demo_modules.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "widgets/panels/attribution_panel.h"
#include "widgets/views/attention_head_grid.h"
#include "widgets/views/attention_pattern_view.h"
#include "widgets/views/attribution_sae_list.h"
#include "widgets/views/feature_matrix_view.h"
#include "widgets/views/logit_lens_grid.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

using namespace gyrus;
using widgets::AttributionPanel;

namespace {

const QString kPrompt = QStringLiteral("The old man walked to the river and sat down");
const QString kLayer0 = QStringLiteral("blocks.0.hook_resid_post");

double number(const QStandardItemModel *model, int row, int column)
{
    return model->item(row, column)->data(AttributionPanel::kNumberRole).toDouble();
}

bool agrees(double a, double b, double scale)
{
    return std::abs(a - b) <= 1e-4 * std::max(1.0, scale);
}

}  // namespace

class TestAttributionPanel : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::TorchEngineClient> m_engine;
    SelectionHub m_hub;
    std::unique_ptr<AttributionPanel> m_panel;
    test::DemoModules m_demo;  // the same model and SAE in this thread, for comparison

    // Runs the attribution tab with the given target and waits for it.
    bool attribute(const QString &target, const QString &versus, int position)
    {
        m_panel->showTab(AttributionPanel::AttributionTab);
        m_panel->targetEdit()->setText(target);
        m_panel->versusEdit()->setText(versus);
        m_panel->positionBox()->setValue(position);
        QSignalSpy shown(m_panel.get(), &AttributionPanel::attributionShown);
        m_panel->analyzeText(kPrompt);
        return shown.wait(60000);
    }

    QStringList cliArguments(const QString &target, const QString &versus, int position) const
    {
        QStringList arguments{QStringLiteral("attribute"),
                              QStringLiteral("--model"),
                              test::demoModelPath(),
                              QStringLiteral("--sae"),
                              test::demoSaePath(),
                              QStringLiteral("--text"),
                              kPrompt,
                              QStringLiteral("--top"),
                              QStringLiteral("100000"),
                              QStringLiteral("--position"),
                              QString::number(position)};
        if (!target.isEmpty()) {
            arguments << QStringLiteral("--target") << target;
        }
        if (!versus.isEmpty()) {
            arguments << QStringLiteral("--versus") << versus;
        }
        return arguments;
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_demo = std::move(demo).value();
        m_panel = std::make_unique<AttributionPanel>(m_engine.get(), &m_hub);
        m_panel->resize(1100, 900);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
    }

    void theListEqualsTheCli_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("versus");
        QTest::addColumn<int>("position");
        QTest::newRow("top next token at the last position") << QString() << QString() << -1;
        QTest::newRow("logit difference at position 4")
                << QStringLiteral("the") << QStringLiteral("a") << 4;
    }

    void theListEqualsTheCli()
    {
        QFETCH(QString, target);
        QFETCH(QString, versus);
        QFETCH(int, position);
        QVERIFY2(attribute(target, versus, position), qPrintable(m_panel->statusText()));
        const QJsonObject json = test::runCliJson(cliArguments(target, versus, position));
        QVERIFY(!json.isEmpty());
        const AttributionOutcomePtr outcome = m_panel->attribution();
        QVERIFY(outcome);
        const AttributionResult &r = outcome->result;

        // The target, resolved the same way.
        const QJsonObject t = json[QStringLiteral("target")].toObject();
        QCOMPARE(t[QStringLiteral("position")].toInt(), r.target.position);
        QCOMPARE(t[QStringLiteral("token")].toInt(), r.target.token);
        QCOMPARE(t[QStringLiteral("kind")].toString(),
                 versus.isEmpty() ? QStringLiteral("log_probability")
                                  : QStringLiteral("logit_difference"));
        QVERIFY(agrees(t[QStringLiteral("value")].toDouble(), r.value, std::abs(r.value)));
        QCOMPARE(json[QStringLiteral("active")].toInt(), int(r.features.size()));

        // The ranked list: the CLI's largest features, row by row.
        const QJsonArray features = json[QStringLiteral("features")].toArray();
        const QStandardItemModel *list = m_panel->featureModel();
        QCOMPARE(list->rowCount(),
                 std::min<int>(AttributionPanel::kListedFeatures, int(features.size())));
        QVERIFY(list->rowCount() > 10);
        const double scale =
                std::abs(features[0].toObject()[QStringLiteral("attribution")].toDouble());
        for (int row = 0; row < list->rowCount(); ++row) {
            const QJsonObject f = features[row].toObject();
            const QString where = QStringLiteral("row %1").arg(row);
            // Near-ties may trade places between two runs; their magnitudes may not.
            QVERIFY2(agrees(std::abs(number(list, row, 5)),
                            std::abs(f[QStringLiteral("attribution")].toDouble()), scale),
                     qPrintable(where));
            if (row < 10) {
                QCOMPARE(list->item(row, 0)->data(Qt::UserRole).toInt(),
                         f[QStringLiteral("feature")].toInt());
                QCOMPARE(int(number(list, row, 1)), f[QStringLiteral("position")].toInt());
                QVERIFY2(agrees(number(list, row, 3), f[QStringLiteral("activation")].toDouble(),
                                1.0),
                         qPrintable(where));
                QVERIFY2(
                        agrees(number(list, row, 4), f[QStringLiteral("gradient")].toDouble(), 1.0),
                        qPrintable(where));
            }
        }

        // The error and bias nodes per position and the sum check.
        const QJsonArray positions = json[QStringLiteral("positions")].toArray();
        const QStandardItemModel *nodes = m_panel->nodeModel();
        QCOMPARE(nodes->rowCount(), positions.size());
        for (int p = 0; p < positions.size(); ++p) {
            const QJsonObject node = positions[p].toObject();
            QVERIFY(agrees(number(nodes, p, 2), node[QStringLiteral("features")].toDouble(),
                           scale));
            QVERIFY(agrees(number(nodes, p, 3), node[QStringLiteral("error")].toDouble(), scale));
            QVERIFY(agrees(number(nodes, p, 4), node[QStringLiteral("bias")].toDouble(), scale));
            QVERIFY(agrees(number(nodes, p, 5), node[QStringLiteral("total")].toDouble(), scale));
        }
        const QJsonObject totals = json[QStringLiteral("totals")].toObject();
        QVERIFY(agrees(r.total(), totals[QStringLiteral("gradient_x_input")].toDouble(), scale));
        QVERIFY(std::abs(r.featureSum() + r.errorSum() + r.biasSum() - r.total()) <
                1e-4 * std::max(1.0, std::abs(r.total())));
        QVERIFY2(m_panel->summaryText().contains(QStringLiteral("gradient × input")),
                 qPrintable(m_panel->summaryText()));
        // The matrix paints the same numbers: its rows are the largest |attribution|.
        QVERIFY(!m_panel->matrixView()->rows().empty());
        QVERIFY(m_panel->matrixView()->scaleMaximum() > 0.0);
    }

    void verifyEqualsTheCli()
    {
        QVERIFY(attribute(QString(), QString(), -1));
        m_panel->verifyCountBox()->setValue(6);
        QSignalSpy verified(m_panel.get(), &AttributionPanel::verificationShown);
        m_panel->verify();
        QVERIFY2(verified.wait(60000), qPrintable(m_panel->statusText()));
        QStringList arguments = cliArguments(QString(), QString(), -1);
        arguments << QStringLiteral("--verify") << QStringLiteral("6");
        const QJsonArray cli = test::runCliJson(arguments)[QStringLiteral("verify")].toArray();
        QCOMPARE(cli.size(), 6);
        QCOMPARE(int(m_panel->checks().size()), 6);
        for (int i = 0; i < 6; ++i) {
            const AblationCheck &check = m_panel->checks()[size_t(i)];
            const QJsonObject c = cli[i].toObject();
            QCOMPARE(check.feature.feature, c[QStringLiteral("feature")].toInt());
            QVERIFY(agrees(check.estimatedChange, c[QStringLiteral("estimated_change")].toDouble(),
                           1.0));
            QVERIFY(agrees(check.actualChange, c[QStringLiteral("actual_change")].toDouble(), 1.0));
            // The list shows both beside each other in the feature's row.
            QCOMPARE(number(m_panel->featureModel(), i, 6), check.estimatedChange);
            QCOMPARE(number(m_panel->featureModel(), i, 7), check.actualChange);
        }
    }

    void clicksSelectTheFeatureEverywhere()
    {
        QVERIFY(attribute(QString(), QString(), -1));
        QTableView *table = m_panel->featureTable();
        const int row = 2;
        const int feature = m_panel->featureModel()->item(row, 0)->data(Qt::UserRole).toInt();
        QVERIFY(m_hub.selectedFeature() != feature);
        QSignalSpy picked(&m_hub, &SelectionHub::tokenPicked);
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(table->model()->index(row, 0)).center());
        QCOMPARE(m_hub.selectedFeature(), feature);
        QCOMPARE(picked.count(), 1);
        QCOMPARE(picked.first().at(0).toString(), kPrompt);
        QCOMPARE(picked.first().at(1).toInt(), int(number(m_panel->featureModel(), row, 1)));

        // A cell of the feature × position matrix selects its row's feature.
        widgets::FeatureMatrixView *matrix = m_panel->matrixView();
        FeatureSummary other;
        for (const FeatureSummary &summary : matrix->rows()) {
            if (summary.feature != feature) {
                other = summary;
            }
        }
        QVERIFY(other.feature != feature);
        int position = -1;
        for (const FeatureAttribution &f : m_panel->attribution()->result.features) {
            if (f.feature == other.feature) {
                position = f.position;
                break;
            }
        }
        const QRect cell = matrix->cellRect(other.feature, position);
        QVERIFY(cell.isValid());
        QTest::mouseClick(matrix->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(m_hub.selectedFeature(), other.feature);

        // A selection made in another dock is followed by the list.
        m_hub.selectFeature(feature, QStringLiteral("heatmap"));
        const QModelIndexList selected = table->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(m_panel->featureModel()
                         ->item(selected.first().row(), 0)
                         ->data(Qt::UserRole)
                         .toInt(),
                 feature);
    }

    void logitLensLastRowIsTheModelsPrediction()
    {
        QSignalSpy shown(m_panel.get(), &AttributionPanel::logitLensShown);
        m_panel->showTab(AttributionPanel::LogitLensTab);  // the tab computes its view when shown
        QVERIFY2(shown.wait(60000), qPrintable(m_panel->statusText()));
        const LogitLensOutcomePtr lens = m_panel->logitLens();
        QVERIFY(lens);

        const gpu::LanguageModel &model = *m_demo.model;
        const auto tokens = model.encode(kPrompt);
        QVERIFY(tokens);
        QCOMPARE(lens->tokens, tokens.value());
        const auto forward = model.forward(tokens.value());
        QVERIFY2(forward, qPrintable(forward.status().message()));
        const gpu::FloatTensor &logits = forward->logits;
        const int64_t vocab = logits.shape.at(1);
        const QStandardItemModel *grid = m_panel->lensGrid()->gridModel();
        const int last = grid->rowCount() - 1;
        QCOMPARE(grid->rowCount(), model.info().layers + 1);  // embeddings + each layer
        QCOMPARE(grid->columnCount(), int(tokens->size()));
        for (int t = 0; t < int(tokens->size()); ++t) {
            const float *row = logits.values.data() + t * vocab;
            const int top = int(std::max_element(row, row + vocab) - row);
            QCOMPARE(lens->cells.back()[size_t(t)].topTokens.front(), top);
            QCOMPARE(grid->item(last, t)->text(),
                     visibleToken(model.tokenizer().displayPiece(top)));
        }
    }

    void attentionIsFetchedOneLayerAtATime()
    {
        QSignalSpy shown(m_panel.get(), &AttributionPanel::attentionShown);
        m_panel->showTab(AttributionPanel::AttentionTab);
        QVERIFY2(shown.wait(60000), qPrintable(m_panel->statusText()));
        widgets::AttentionHeadGrid *grid = m_panel->attentionGrid();
        QCOMPARE(grid->layerBox()->count(), 4);  // every layer can be chosen
        QCOMPARE(grid->thumbnails().size(), 6);

        // Every layer at once through the analysis function, for comparison.
        const auto tokens = m_demo.model->encode(kPrompt);
        QVERIFY(tokens);
        const auto all = gpu::attentionPatterns(*m_demo.model, tokens.value());
        QVERIFY2(all, qPrintable(all.status().message()));
        QCOMPARE(all->patterns.size(), size_t(4));

        for (int layer = 0; layer < 4; ++layer) {
            if (layer > 0) {
                grid->layerBox()->setCurrentIndex(grid->layerBox()->findData(layer));
                QVERIFY2(shown.wait(60000), qPrintable(m_panel->statusText()));
            }
            // The request for layer L computed that layer only.
            const AttentionOutcomePtr attention = m_panel->attention();
            QVERIFY(attention);
            QCOMPARE(attention->layers, std::vector<int>{layer});
            QCOMPARE(attention->patterns.size(), size_t(1));
            QCOMPARE(attention->layerCount, 4);
            QCOMPARE(attention->heads, 6);
            QCOMPARE(attention->tokens, tokens.value());
            const std::vector<float> &expected = all->patterns[size_t(layer)].values;
            QCOMPARE(attention->patterns.front().size(), expected.size());
            for (size_t i = 0; i < expected.size(); ++i) {
                QVERIFY(std::abs(attention->patterns.front()[i] - expected[i]) < 1e-6f);
            }
            const int n = attention->size();
            for (int h = 0; h < attention->heads; ++h) {
                for (int q = 0; q < n; ++q) {
                    double sum = 0.0;
                    for (int k = 0; k < n; ++k) {
                        sum += attention->weight(0, h, q, k);
                        if (k > q) {
                            QCOMPARE(attention->weight(0, h, q, k), 0.0f);  // causal
                        }
                    }
                    QVERIFY2(std::abs(sum - 1.0) < 1e-5,
                             qPrintable(QStringLiteral("layer %1 head %2 row %3: %4")
                                                .arg(layer)
                                                .arg(h)
                                                .arg(q)
                                                .arg(sum)));
                }
            }
            QCOMPARE(grid->chosenLayer(), layer);
        }
        // Choosing a layer already shown asks for nothing.
        const int before = shown.count();
        grid->layerBox()->setCurrentIndex(grid->layerBox()->findData(3));
        QTest::qWait(50);
        QCOMPARE(shown.count(), before);

        QTest::mouseClick(grid->thumbnails().at(4), Qt::LeftButton);
        QCOMPARE(grid->head(), 4);
        QCOMPARE(grid->largeView()->head(), 4);
        QCOMPARE(grid->largeView()->layerIndex(), 0);
        QVERIFY(grid->thumbnails().at(4)->isVisible());
        const int n = m_panel->attention()->size();
        QVERIFY(grid->largeView()->cellText(n - 1, 0).contains(QStringLiteral("weight")));
    }

    void badTargetsSayWhy()
    {
        m_panel->showTab(AttributionPanel::AttributionTab);
        m_panel->targetEdit()->setText(QStringLiteral("walked to the"));
        m_panel->versusEdit()->clear();
        QSignalSpy shown(m_panel.get(), &AttributionPanel::attributionShown);
        m_panel->analyzeText(kPrompt);
        QTRY_VERIFY_WITH_TIMEOUT(!m_panel->isRunning(), 60000);
        QCOMPARE(shown.count(), 0);
        QVERIFY2(m_panel->statusText().contains(QStringLiteral("not one")),
                 qPrintable(m_panel->statusText()));
    }

    void cleanupTestCase()
    {
        m_panel.reset();
        m_engine.reset();
    }

    // Last: it leaves a selection in the hub.
    void anotherLayersSaeIsAttributedBesideTheLoadedOne()
    {
        QTemporaryDir dir;
        const QString early = dir.filePath(QStringLiteral("layer0"));
        QVERIFY(gpu::saveSae(test::mirrorSae(m_demo.sae->config(), 0.8, kLayer0), early).isOk());

        m_panel->extraSaeList()->setPaths({early});
        QVERIFY2(attribute(QString(), QString(), 5), qPrintable(m_panel->statusText()));
        const AttributionOutcomePtr outcome = m_panel->attribution();
        QCOMPARE(outcome->extra.size(), size_t(1));
        QVERIFY(outcome->skippedSaes.isEmpty());
        QCOMPARE(outcome->extra[0].layer, 0);
        QCOMPARE(outcome->extra[0].path, early);
        QCOMPARE(outcome->extra[0].result.hook, QStringLiteral("blocks.0.hook_resid_post"));

        // Each SAE's group equals the CLI's with both SAEs (one forward and backward there
        // too): every active feature, every position's nodes, the totals.
        const QJsonObject json = test::runCliJson(cliArguments(QString(), QString(), 5)
                                                  << QStringLiteral("--sae") << early);
        const QJsonArray groups = json[QStringLiteral("saes")].toArray();
        QCOMPARE(groups.size(), 2);
        const AttributionResult *results[] = {&outcome->result, &outcome->extra[0].result};
        const int layers[] = {2, 0};
        // (layer, feature, position) → attribution, from the CLI.
        std::map<std::tuple<int, int, int>, double> cliAttribution;
        std::vector<double> cliMagnitudes;
        for (int i = 0; i < 2; ++i) {
            const QJsonObject group = groups[i].toObject();
            const AttributionResult &r = *results[i];
            QCOMPARE(group[QStringLiteral("layer")].toInt(), layers[i]);
            QCOMPARE(group[QStringLiteral("hook")].toString(), r.hook);
            const QJsonObject totals = group[QStringLiteral("totals")].toObject();
            const double total = totals[QStringLiteral("gradient_x_input")].toDouble();
            QVERIFY(std::abs(total) > 1e-3);
            QVERIFY(agrees(r.total(), total, std::abs(total)));
            QVERIFY(agrees(r.featureSum(), totals[QStringLiteral("features")].toDouble(),
                           std::abs(total)));
            QVERIFY(agrees(r.errorSum(), totals[QStringLiteral("error")].toDouble(),
                           std::abs(total)));
            QVERIFY(agrees(r.biasSum(), totals[QStringLiteral("bias")].toDouble(),
                           std::abs(total)));
            const QJsonArray features = group[QStringLiteral("features")].toArray();
            QCOMPARE(int(r.features.size()), group[QStringLiteral("active")].toInt());
            QCOMPARE(int(r.features.size()), features.size());
            for (const QJsonValue &value : features) {
                const QJsonObject f = value.toObject();
                const double a = f[QStringLiteral("attribution")].toDouble();
                cliAttribution[{layers[i], f[QStringLiteral("feature")].toInt(),
                                f[QStringLiteral("position")].toInt()}] = a;
                cliMagnitudes.push_back(std::abs(a));
            }
            for (const FeatureAttribution &f : r.features) {
                const auto key = std::make_tuple(layers[i], f.feature, f.position);
                QVERIFY2(cliAttribution.count(key) == 1,
                         qPrintable(QStringLiteral("layer %1 feature %2 at %3 not in the CLI's")
                                            .arg(layers[i])
                                            .arg(f.feature)
                                            .arg(f.position)));
                QVERIFY(agrees(f.attribution, cliAttribution.at(key), std::abs(total)));
            }
            const QJsonArray positions = group[QStringLiteral("positions")].toArray();
            QCOMPARE(int(r.tokens.size()), positions.size());
            for (int p = 0; p < positions.size(); ++p) {
                const QJsonObject node = positions[p].toObject();
                QVERIFY(agrees(r.errorAttribution[size_t(p)],
                               node[QStringLiteral("error")].toDouble(), std::abs(total)));
                QVERIFY(agrees(r.totalAttribution[size_t(p)],
                               node[QStringLiteral("total")].toDouble(), std::abs(total)));
            }
        }
        std::sort(cliMagnitudes.rbegin(), cliMagnitudes.rend());

        // One ranking over both SAEs: row by row the CLI's merged magnitudes, and each row's
        // layer column names the SAE whose feature it is (its attribution is that group's).
        QStandardItemModel *list = m_panel->featureModel();
        QVERIFY(!m_panel->featureTable()->isColumnHidden(8));
        QCOMPARE(list->rowCount(), AttributionPanel::kListedFeatures);
        QSet<int> listedLayers;
        for (int row = 0; row < list->rowCount(); ++row) {
            const int layer = int(number(list, row, 8));
            listedLayers.insert(layer);
            const auto key = std::make_tuple(layer, list->item(row, 0)->data(Qt::UserRole).toInt(),
                                             int(number(list, row, 1)));
            const QString where = QStringLiteral("row %1").arg(row);
            QVERIFY2(cliAttribution.count(key) == 1, qPrintable(where));
            QVERIFY2(agrees(number(list, row, 5), cliAttribution.at(key), cliMagnitudes[0]),
                     qPrintable(where));
            QVERIFY2(agrees(std::abs(number(list, row, 5)), cliMagnitudes[size_t(row)],
                            cliMagnitudes[0]),
                     qPrintable(where));
        }
        QCOMPARE(listedLayers, (QSet<int>{0, 2}));

        // "Show" lists both layers; choosing layer 0 shows its matrix, nodes and sum line.
        QComboBox *box = m_panel->layerBox();
        QCOMPARE(box->count(), 2);
        QVERIFY(box->itemText(0).startsWith(QStringLiteral("layer 2")));
        QVERIFY(box->itemText(1).startsWith(QStringLiteral("layer 0")));
        box->setCurrentIndex(1);
        Q_EMIT box->activated(1);
        QCOMPARE(m_panel->shownSae(), 1);
        QCOMPARE(m_panel->shownResult(), &outcome->extra[0].result);
        QVERIFY(m_panel->summaryText().contains(QStringLiteral("blocks.0.hook_resid_post")));
        QCOMPARE(m_panel->nodeModel()->rowCount(), int(outcome->extra[0].result.tokens.size()));
        for (int p = 0; p < m_panel->nodeModel()->rowCount(); ++p) {
            QVERIFY(agrees(number(m_panel->nodeModel(), p, 3),
                           outcome->extra[0].result.errorAttribution[size_t(p)], 1.0));
        }
        box->setCurrentIndex(0);
        Q_EMIT box->activated(0);
        QCOMPARE(m_panel->shownResult(), &outcome->result);

        // A layer-0 row shows that SAE and leaves the hub alone; a layer-2 row selects its
        // feature everywhere.
        auto rowOfLayer = [&](int layer) {
            for (int row = 0; row < list->rowCount(); ++row) {
                if (int(number(list, row, 8)) == layer) {
                    return row;
                }
            }
            return -1;
        };
        QTableView *table = m_panel->featureTable();
        const int before = m_hub.selectedFeature();
        const int early0 = rowOfLayer(0);
        table->scrollTo(list->index(early0, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(list->index(early0, 0)).center());
        QCOMPARE(m_panel->shownSae(), 1);
        QCOMPARE(m_hub.selectedFeature(), before);
        QVERIFY(m_panel->statusText().contains(QStringLiteral("layer 0")));
        const int late = rowOfLayer(2);
        const int lateFeature = list->item(late, 0)->data(Qt::UserRole).toInt();
        table->scrollTo(list->index(late, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {},
                          table->visualRect(list->index(late, 0)).center());
        QCOMPARE(m_panel->shownSae(), 0);
        QCOMPARE(m_hub.selectedFeature(), lateFeature);

        // Bad extra SAEs (missing, a corrupt weights file, one for another d_model) are left out
        // with a line naming each; the loaded SAE and the good one are attributed as before.
        const QString missing = dir.filePath(QStringLiteral("missing"));
        const QString corrupt = dir.filePath(QStringLiteral("corrupt"));
        QVERIFY(gpu::saveSae(test::mirrorSae(m_demo.sae->config(), 0.5, kLayer0), corrupt).isOk());
        {
            QFile weights(QDir(corrupt).filePath(QStringLiteral("sae_weights.safetensors")));
            QVERIFY(weights.open(QIODevice::WriteOnly | QIODevice::Truncate));
            weights.write("not a safetensors file");
        }
        const QString narrow = dir.filePath(QStringLiteral("narrow"));
        SaeConfig narrowConfig = m_demo.sae->config();
        narrowConfig.dIn = 96;
        QVERIFY(gpu::saveSae(test::mirrorSae(narrowConfig, 0.8,
                                             QStringLiteral("blocks.1.hook_resid_post")),
                             narrow)
                        .isOk());
        m_panel->extraSaeList()->setPaths({missing, corrupt, early, narrow});
        QVERIFY2(attribute(QString(), QString(), 5), qPrintable(m_panel->statusText()));
        const AttributionOutcomePtr partial = m_panel->attribution();
        QCOMPARE(partial->extra.size(), size_t(1));
        QCOMPARE(partial->extra[0].path, early);
        QCOMPARE(partial->extra[0].result.features.size(),
                 outcome->extra[0].result.features.size());
        QVERIFY(agrees(partial->extra[0].result.total(), outcome->extra[0].result.total(), 1.0));
        QVERIFY(agrees(partial->result.total(), outcome->result.total(), 1.0));
        QCOMPARE(partial->skippedSaes.size(), 3);
        for (const QString &bad : {missing, corrupt, narrow}) {
            const QString problem = m_panel->extraSaeList()->problem(bad);
            QVERIFY2(!problem.isEmpty(), qPrintable(bad));
            QVERIFY2(m_panel->statusText().contains(bad), qPrintable(m_panel->statusText()));
        }
        QVERIFY(m_panel->extraSaeList()->problem(early).isEmpty());
        QVERIFY(m_panel->extraSaeList()->problem(narrow).contains(QStringLiteral("96")));
        QCOMPARE(m_panel->layerBox()->count(), 2);

        // None: the layer column hides.
        m_panel->extraSaeList()->setPaths({});
        QVERIFY(attribute(QString(), QString(), 5));
        QVERIFY(m_panel->featureTable()->isColumnHidden(8));
        QCOMPARE(m_panel->layerBox()->count(), 1);
    }
};

QTEST_MAIN(TestAttributionPanel)
#include "tst_attribution_panel.moc"
