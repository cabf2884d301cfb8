#include "core/base/table_export.h"
#include "core/features/token_analysis_archive.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/session/result_archive.h"
#include "core/session/study_report.h"

#include <QAbstractTableModel>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace gyrus;

namespace {

/// A table as a view shows it: rounded text for display, the exact number in `NumberRole`.
class RoundedTable : public QAbstractTableModel
{
public:
    static constexpr int NumberRole = Qt::UserRole;

    QStringList headers;
    QList<QList<std::pair<QString, QVariant>>> cells;  // per row: (display text, number)

    int rowCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : int(cells.size());
    }

    int columnCount(const QModelIndex &parent = QModelIndex()) const override
    {
        return parent.isValid() ? 0 : int(headers.size());
    }

    QVariant data(const QModelIndex &index, int role) const override
    {
        const auto &[text, number] = cells.at(index.row()).at(index.column());
        return role == Qt::DisplayRole ? QVariant(text) : role == NumberRole ? number : QVariant();
    }

    QVariant headerData(int section, Qt::Orientation orientation, int role) const override
    {
        return orientation == Qt::Horizontal && role == Qt::DisplayRole
                       ? QVariant(headers.value(section))
                       : QVariant();
    }
};

}  // namespace

class TestResultsExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    // One file: the figure's bytes inline, every piece of text escaped, nothing fetched from
    // elsewhere when the file is opened.
    void isSelfContainedAndEscaped()
    {
        StudyReport report;
        report.title = QStringLiteral("achievements <vs> failures");
        report.summary = QStringLiteral("First paragraph.\n\nSecond & last.");
        ReportSection section;
        section.title = QStringLiteral("Contrast");
        section.methods = QStringLiteral("Welch t, Benjamini–Hochberg q.");
        section.settings = {{QStringLiteral("pooling"), QStringLiteral("mean")}};
        section.tables = {ReportTable{QStringLiteral("Top features"),
                                      {QStringLiteral("feature"), QStringLiteral("q")},
                                      {{QStringLiteral("12"), QStringLiteral("1e-05")}}}};
        const QByteArray png = QByteArray("\x89PNG\r\n\x1a\nfake image bytes", 24);
        section.figures = {ReportFigure{QStringLiteral("Volcano"), png}};
        report.sections = {section};
        report.provenance = {{QStringLiteral("model sha256"), QStringLiteral("abc123")}};

        const QString html = QString::fromUtf8(studyReportHtml(report));
        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        QVERIFY(html.contains(QStringLiteral("<title>achievements &lt;vs&gt; failures</title>")));
        QVERIFY(html.contains(QStringLiteral("<p>Second &amp; last.</p>")));
        QVERIFY(html.contains(QStringLiteral("data:image/png;base64,") +
                              QString::fromLatin1(png.toBase64())));
        QVERIFY(html.contains(QStringLiteral("<td>1e-05</td>")));
        QVERIFY(html.contains(QStringLiteral("<th>model sha256</th><td>abc123</td>")));
        QVERIFY(html.contains(QStringLiteral("Benjamini–Hochberg")));  // UTF-8 kept
        // No external resource: every src/href is a data URL.
        const QRegularExpression reference(QStringLiteral("(src|href)=\"(?!data:)"));
        QVERIFY(!reference.match(html).hasMatch());
        QVERIFY(!html.contains(QStringLiteral("<script")));
    }

    // A table as data: numbers at full precision (the number role, not the rounded text), text
    // quoted where it must be; HDF5 columns typed by their content.
    void tablesExportAsCsvAndHdf5()
    {
        RoundedTable model;
        model.headers = {QStringLiteral("Feature"), QStringLiteral("Label"), QStringLiteral("q")};
        const int numberRole = RoundedTable::NumberRole;
        model.cells = {{{QStringLiteral("7"), 7},
                        {QStringLiteral("digits, \"numbers\""), QVariant()},
                        {QStringLiteral("0.01"), 0.0123456789012345}},
                       {{QStringLiteral("8"), 8},
                        {QStringLiteral("plain"), QVariant()},
                        {QStringLiteral("0.02"), 2 * 0.0123456789012345}}};
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("t.csv"));
        QVERIFY(writeTable(model, csv, numberRole).isOk());
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines[0], QByteArray("Feature,Label,q"));
        QCOMPARE(lines[1], QByteArray("7,\"digits, \"\"numbers\"\"\",0.0123456789012345"));
        QCOMPARE(lines[2].split(',').value(2).toDouble(), 2 * 0.0123456789012345);

        const QString h5 = dir.filePath(QStringLiteral("t.h5"));
        QVERIFY(writeTable(model, h5, numberRole).isOk());
        auto reader = Hdf5Reader::open(h5);
        QVERIFY(reader.isOk());
        QCOMPARE(reader.value()->readDoubles(QStringLiteral("q")).value(),
                 (std::vector<double>{0.0123456789012345, 2 * 0.0123456789012345}));
        QCOMPARE(reader.value()->readDoubles(QStringLiteral("feature")).value(),
                 (std::vector<double>{7, 8}));
        QCOMPARE(reader.value()->readStrings(QStringLiteral("label")).value(),
                 (QStringList{QStringLiteral("digits, \"numbers\""), QStringLiteral("plain")}));
        QVERIFY(!writeTable(model, dir.filePath(QStringLiteral("t.xlsx")), numberRole).isOk());
    }

    // Results come back from a workspace exactly as computed (NaN included), and a damaged
    // archive names the missing array instead of restoring half a result.
    void resultsRoundTripThroughWorkspaceData()
    {
        ContrastAnalysisResult contrast;
        contrast.representation = QStringLiteral("SAE features (demo)");
        contrast.itemCount = 10;
        contrast.featureCount = 3;
        contrast.notes = {QStringLiteral("item 4 dropped")};
        ContrastEffect effect;
        effect.name = QStringLiteral("valence");
        effect.sideA = QStringLiteral("positive");
        effect.sideB = QStringLiteral("negative");
        effect.stats.t = {1.5, std::nan(""), -2.0};
        effect.stats.p = {0.1, 1.0, 0.05};
        effect.stats.q = {0.15, 1.0, 0.15};
        effect.stats.d = {0.3, 0.0, -0.5};
        effect.stats.g = {0.29, 0.0, -0.48};
        effect.stats.df = {8.0, 0.0, 7.5};
        effect.stats.meanDiff = {0.1, 0.0, -0.2};
        effect.stats.zeroVariance = {false, true, false};
        effect.stats.countA = 5;
        effect.stats.countB = 5;
        effect.meanA = {1.0, 0.0, 0.4};
        effect.meanB = {0.9, 0.0, 0.6};
        contrast.effects = {effect};
        WorkspaceData data;
        const QJsonObject json = archiveContrast(contrast, QStringLiteral("contrast"), &data);
        const Result<ContrastAnalysisResultPtr> back =
                unarchiveContrast(json, QStringLiteral("contrast"), data);
        QVERIFY2(back.isOk(), qPrintable(back.status().message()));
        const ContrastEffect &e = back.value()->effects.at(0);
        QCOMPARE(e.sideA, QStringLiteral("positive"));
        QCOMPARE(e.stats.q, effect.stats.q);
        QVERIFY(std::isnan(e.stats.t[1]));
        QCOMPARE(e.stats.zeroVariance, effect.stats.zeroVariance);
        QCOMPARE(e.meanB, effect.meanB);
        QCOMPARE(back.value()->notes, contrast.notes);
        data.remove(QStringLiteral("contrast.effect0.q"));
        const Result<ContrastAnalysisResultPtr> damaged =
                unarchiveContrast(json, QStringLiteral("contrast"), data);
        QVERIFY(!damaged.isOk());
        QVERIFY(damaged.status().message().contains(QStringLiteral("contrast.effect0.q")));

        MethodComparisonResult methods;
        methods.representation = QStringLiteral("raw");
        methods.sideA = QStringLiteral("a");
        methods.sideB = QStringLiteral("b");
        methods.itemCount = 100;
        methods.settings.k = 2;
        methods.settings.permutations = 100;
        methods.settings.seed = 7;
        MethodComparisonRow row;
        row.method = SelectionMethod::Univariate;
        row.balancedAccuracy = 0.8125;
        row.p = 1.0 / 101.0;
        row.selectedFeatures = {12, 3};
        methods.rows = {row, row};
        methods.rows[1].method = SelectionMethod::PooledSeparationR;
        WorkspaceData methodData;
        const Result<MethodComparisonResultPtr> methodsBack = unarchiveMethodComparison(
                archiveMethodComparison(methods, QStringLiteral("methods"), &methodData),
                QStringLiteral("methods"), methodData);
        QVERIFY(methodsBack.isOk());
        QCOMPARE(methodsBack.value()->rows.size(), 2);
        QCOMPARE(methodsBack.value()->rows[1].method, SelectionMethod::PooledSeparationR);
        QCOMPARE(
                methodData.value(QStringLiteral("methods.methods")).strings,
                QStringList({QStringLiteral("univariate"), QStringLiteral("pooled-separation-r")}));
        QCOMPARE(methodsBack.value()->rows[0].p, 1.0 / 101.0);
        QCOMPARE(methodsBack.value()->rows[0].selectedFeatures, (std::vector<int>{12, 3}));
        QCOMPARE(methodsBack.value()->settings.seed, quint64(7));
        QCOMPARE(methodData.value(QStringLiteral("methods.scores")).shape,
                 (std::vector<int64_t>{2, 10}));
        // Raw comparisons have no ensemble: nothing is written for it.
        QVERIFY(!methodData.contains(QStringLiteral("methods.ensemble_weights")));
        QVERIFY(methodsBack.value()->rows[0].ensembleWeights.empty());

        // SAE comparisons keep each row's ensemble classifier, so steering works after reopening;
        // a row with fewer features than k is padded and comes back as it was.
        methods.representation = QStringLiteral("sae");
        methods.rows[0].ensembleWeights = {0.75, -1.5};
        methods.rows[0].ensembleSds = {0.125, 2.0};
        methods.rows[1].selectedFeatures = {5};
        methods.rows[1].ensembleWeights = {-0.25};
        methods.rows[1].ensembleSds = {3.5};
        WorkspaceData ensembleData;
        const QJsonObject ensembleJson =
                archiveMethodComparison(methods, QStringLiteral("methods"), &ensembleData);
        QCOMPARE(ensembleData.value(QStringLiteral("methods.ensemble_weights")).shape,
                 (std::vector<int64_t>{2, 2}));
        const Result<MethodComparisonResultPtr> ensembleBack =
                unarchiveMethodComparison(ensembleJson, QStringLiteral("methods"), ensembleData);
        QVERIFY2(ensembleBack.isOk(), qPrintable(ensembleBack.status().message()));
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(ensembleBack.value()->rows[r].selectedFeatures,
                     methods.rows[r].selectedFeatures);
            QCOMPARE(ensembleBack.value()->rows[r].ensembleWeights,
                     methods.rows[r].ensembleWeights);
            QCOMPARE(ensembleBack.value()->rows[r].ensembleSds, methods.rows[r].ensembleSds);
        }
        ensembleData[QStringLiteral("methods.ensemble_sds")].numbers.pop_back();
        const Result<MethodComparisonResultPtr> ensembleDamaged =
                unarchiveMethodComparison(ensembleJson, QStringLiteral("methods"), ensembleData);
        QVERIFY(!ensembleDamaged.isOk());
        QVERIFY(ensembleDamaged.status().message().contains(
                QStringLiteral("methods.ensemble_sds")));
    }

    // The token heatmap's analysis: tokens and sparse activations back exactly; damaged arrays
    // (missing, wrong length, a feature beyond d_sae, a negative count) are refused by name.
    void tokenAnalysisRoundTripsAndRefusesDamage()
    {
        TokenAnalysis analysis;
        analysis.hookName = QStringLiteral("blocks.2.hook_resid_post");
        analysis.saeName = QStringLiteral("demo");
        analysis.dModel = 4;
        analysis.dSae = 64;
        for (const QString &text : {QStringLiteral("a b"), QStringLiteral("c")}) {
            TextActivations row;
            row.text = text;
            row.appendToken({1, QStringLiteral("<s>"), 0, 0, true}, {{3, 9.5f}});
            row.appendToken({7, QStringLiteral(" a"), 0, 1, false}, {{5, 0.1f}, {63, 1e-7f}});
            row.appendToken({8, QStringLiteral("↵"), 1, 3, false}, {});
            analysis.texts.push_back(row);
        }
        WorkspaceData data;
        const QJsonObject json = archiveTokenAnalysis(analysis, QStringLiteral("analysis"), &data);
        Result<TokenAnalysisPtr> back =
                unarchiveTokenAnalysis(json, QStringLiteral("analysis"), data);
        QVERIFY2(back.isOk(), qPrintable(back.status().message()));
        QCOMPARE(back.value()->texts.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            const TextActivations &was = analysis.texts[i];
            const TextActivations &now = back.value()->texts[i];
            QCOMPARE(now.text, was.text);
            QVERIFY(now.rowStart == was.rowStart);
            QVERIFY(now.features == was.features);
            QVERIFY(now.values == was.values);
            QCOMPARE(now.tokens[2].piece, QStringLiteral("↵"));
            QCOMPARE(now.tokens[2].end, 3);
            QVERIFY(now.tokens[0].bos);
        }
        QCOMPARE(back.value()->hookName, analysis.hookName);

        auto refused = [&](WorkspaceData damaged, const QString &named) {
            const Result<TokenAnalysisPtr> r =
                    unarchiveTokenAnalysis(json, QStringLiteral("analysis"), damaged);
            return !r.isOk() && r.status().message().contains(named);
        };
        WorkspaceData missing = data;
        missing.remove(QStringLiteral("analysis.values"));
        QVERIFY(refused(missing, QStringLiteral("analysis.values")));
        WorkspaceData shorter = data;
        shorter[QStringLiteral("analysis.token_ids")].numbers.pop_back();
        QVERIFY(refused(shorter, QStringLiteral("analysis.token_ids")));
        WorkspaceData beyond = data;
        beyond[QStringLiteral("analysis.features")].numbers[0] = 64;
        QVERIFY(refused(beyond, QStringLiteral("analysis.features")));
        WorkspaceData negative = data;
        negative[QStringLiteral("analysis.active_counts")].numbers[0] = -1;
        QVERIFY(refused(negative, QStringLiteral("analysis.active_counts")));
    }
};

QTEST_GUILESS_MAIN(TestResultsExport)
#include "tst_results_export.moc"
