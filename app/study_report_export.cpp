#include "app/study_report_export.h"

#include "app/main_window.h"
#include "core/base/file_fingerprint.h"
#include "core/base/file_sha256.h"
#include "core/base/version.h"
#include "core/contrasts/method_comparison_model.h"
#include "core/engine/engine_client.h"
#include "core/rsa/rsa_requests.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/prompt_sets_panel.h"
#include "widgets/panels/rsa_panel.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLocale>
#include <QSaveFile>
#include <QSysInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gyrus::app {

namespace {

constexpr int kTopFeatures = 20;

QString number(double value, int digits = 3)
{
    return std::isfinite(value) ? QString::number(value, 'f', digits) : QStringLiteral("—");
}

QString pValue(double p)
{
    if (!std::isfinite(p)) {
        return QStringLiteral("—");
    }
    return p < 0.001 ? QString::number(p, 'e', 2) : QString::number(p, 'g', 3);
}

// Figures the docks write themselves (the RSA dock's heatmaps with their caption).
template <typename Export>
QByteArray pngVia(Export exportTo)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("figure.png"));
    if (!dir.isValid() || !exportTo(path).isOk()) {
        return QByteArray();
    }
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString fingerprintOf(const QString &path)
{
    if (path.isEmpty()) {
        return QString();
    }
    const Result<DirectoryFingerprint> fingerprint = fingerprintDirectory(path);
    return fingerprint ? QStringLiteral("%1 (%2)").arg(fingerprint->sha256, fingerprint->method)
                       : fingerprint.status().message();
}

ReportSection studySection(MainWindow *window, EngineClient *engine)
{
    ReportSection section;
    section.title = QObject::tr("Study");
    const PromptSet &set = window->promptSetsPanel()->promptSet();
    QStringList factors;
    for (const PromptFactor &factor : set.factors) {
        factors << QStringLiteral("%1 (%2)").arg(factor.name,
                                                 factor.levels.join(QStringLiteral(", ")));
    }
    section.settings = {
            {QObject::tr("Prompt set"), set.displayName()},
            {QObject::tr("Items"), QString::number(set.items.size())},
            {QObject::tr("Factors (levels in order; the first is A)"),
             factors.join(QStringLiteral("; "))},
            {QObject::tr("Unsaved edits"), window->promptSetsPanel()->isModified()
                                                   ? QObject::tr("yes: the file differs")
                                                   : QObject::tr("no")}};
    const ModelInfo model = engine ? engine->currentModel() : ModelInfo();
    const SaeInfo sae = engine ? engine->currentSae() : SaeInfo();
    section.settings.append({QObject::tr("Model"),
                             model.name.isEmpty()
                                     ? QObject::tr("none loaded")
                                     : QStringLiteral("%1 (%2, %3 layers, d_model %4, %5 on %6)")
                                               .arg(model.name, model.architecture)
                                               .arg(model.layers)
                                               .arg(model.dModel)
                                               .arg(nameOf(model.dtype), model.device)});
    section.settings.append(
            {QObject::tr("SAE"),
             sae.path.isEmpty()
                     ? QObject::tr("none loaded")
                     : QStringLiteral("%1 (%2, %3 features at %4%5)")
                               .arg(sae.name, nameOf(sae.architecture))
                               .arg(sae.dSae)
                               .arg(sae.hookName,
                                    sae.topK() > 0 ? QStringLiteral(", k = %1").arg(sae.topK())
                                                   : QString())});
    return section;
}

void addContrastSection(MainWindow *window, StudyReport *report)
{
    widgets::ContrastPanel *panel = window->contrastPanel();
    const ContrastAnalysisResultPtr result = panel ? panel->contrastResult() : nullptr;
    if (!result || result->effects.isEmpty()) {
        return;
    }
    const ContrastSource source = panel->request();
    ReportSection section;
    section.title = QObject::tr("Contrast");
    section.methods =
            QObject::tr(
                    "Each item's tokens were run through the model and pooled into one vector (%1 "
                    "pooling; the BOS token excluded), read as %2. For every feature, a two-sided "
                    "Welch "
                    "t test compared condition A with condition B (unequal variances, "
                    "Welch–Satterthwaite degrees of freedom; estimates are A − B, so t > 0 means A "
                    "is "
                    "higher). Cohen's d uses the pooled standard deviation. p-values were "
                    "corrected "
                    "across all %3 features with the Benjamini–Hochberg procedure (q); features "
                    "are "
                    "listed by q, ties broken by p. Constant features have no test.")
                    .arg(nameOf(source.pooling), result->representation)
                    .arg(result->featureCount);
    for (const ContrastEffect &effect : result->effects) {
        const ContrastResult &s = effect.stats;
        std::vector<int> order(size_t(s.featureCount()));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&s](int a, int b) {
            const double qa = std::isfinite(s.q[size_t(a)]) ? s.q[size_t(a)] : 2.0;
            const double qb = std::isfinite(s.q[size_t(b)]) ? s.q[size_t(b)] : 2.0;
            return qa != qb ? qa < qb : s.p[size_t(a)] < s.p[size_t(b)];
        });
        ReportTable table;
        table.caption = QObject::tr(
                                "%1: A = %2, B = %3 — the %4 features with the smallest q "
                                "(%5 items)")
                                .arg(effect.name, effect.sideA, effect.sideB)
                                .arg(std::min<int>(kTopFeatures, int(order.size())))
                                .arg(result->itemCount);
        table.header = {QObject::tr("feature"), QObject::tr("label"), QObject::tr("mean A"),
                        QObject::tr("mean B"),  QObject::tr("t"),     QObject::tr("d"),
                        QObject::tr("p"),       QObject::tr("q")};
        for (int rank = 0; rank < std::min<int>(kTopFeatures, int(order.size())); ++rank) {
            const auto j = size_t(order[size_t(rank)]);
            table.rows.append({QString::number(j), window->selection()->annotation(int(j)).label,
                               number(effect.meanA[j]), number(effect.meanB[j]), number(s.t[j], 2),
                               number(s.d[j], 2), pValue(s.p[j]), pValue(s.q[j])});
        }
        section.tables.append(table);
    }
    section.settings = {{QObject::tr("Factor"), source.factor},
                        {QObject::tr("Representation"), result->representation},
                        {QObject::tr("Pooling"), nameOf(source.pooling)},
                        {QObject::tr("Items analysed"), QString::number(result->itemCount)}};
    if (!result->notes.isEmpty()) {
        section.settings.append({QObject::tr("Notes"), result->notes.join(QStringLiteral("; "))});
    }
    const QByteArray volcano = panel->figurePng(widgets::ContrastPanel::Figure::Volcano, 720, 420);
    if (!volcano.isEmpty()) {
        section.figures.append({QObject::tr("Volcano plot: Cohen's d against −log10 q; the "
                                            "dashed line is q = 0.05."),
                                volcano});
    }
    report->sections.append(section);
}

void addRsaSection(MainWindow *window, StudyReport *report)
{
    widgets::RsaPanel *panel = window->rsaPanel();
    const std::shared_ptr<const RsaResult> result = panel ? panel->result() : nullptr;
    if (!result) {
        return;
    }
    const RsaRequest &r = result->request;
    ReportSection section;
    section.title = QObject::tr("Representational similarity analysis");
    section.methods =
            QObject::tr(
                    "Each item was represented by its pooled vector (%1 pooling) at %2 (%3; %4 "
                    "features). The item × item dissimilarity matrix (RDM) used the %5 distance. "
                    "Each "
                    "factor's model RDM is 0 for two items in the same condition and 1 otherwise. "
                    "The "
                    "upper triangles were compared with %6; p comes from %7 permutations of the "
                    "item "
                    "labels (rows and columns together), p = (k + 1) / (permutations + 1), and the "
                    "95% "
                    "interval from %8 bootstrap resamples of the items. Classical MDS places the "
                    "items "
                    "in two dimensions.")
                    .arg(nameOf(r.pooling), r.hookName,
                         r.saeFeatures ? QObject::tr("SAE features")
                                       : QObject::tr("raw activations"))
                    .arg(result->featureCount)
                    .arg(nameOf(r.metric), nameOf(r.comparisonMethod))
                    .arg(r.permutations)
                    .arg(r.bootstraps);
    ReportTable table;
    table.caption =
            QObject::tr("Model RDMs against the measured RDM (%1 items)").arg(result->rdm.size());
    table.header = {QObject::tr("model"),  nameOf(r.comparisonMethod),  QObject::tr("p"),
                    QObject::tr("95% CI"), QObject::tr("permutations"), QObject::tr("seed")};
    for (const RsaModelFit &fit : result->models) {
        const RsaComparison &c = fit.comparison;
        table.rows.append({fit.name, number(c.r), pValue(c.p),
                           QStringLiteral("[%1, %2]").arg(number(c.ciLow), number(c.ciHigh)),
                           QString::number(c.permutations), QString::number(c.seed)});
    }
    section.tables.append(table);
    section.settings = {{QObject::tr("Feature subset"), rsaFeatureSubsetName(r.subset)},
                        {QObject::tr("Seed"), QString::number(r.seed)}};
    if (!result->notes.isEmpty()) {
        section.settings.append({QObject::tr("Notes"), result->notes.join(QStringLiteral("; "))});
    }
    const QByteArray figure =
            pngVia([panel](const QString &path) { return panel->exportFigure(path); });
    if (!figure.isEmpty()) {
        section.figures.append({QObject::tr("The measured RDM beside the model RDMs (the view "
                                            "open in the RSA dock)."),
                                figure});
    }
    report->sections.append(section);
}

void addMethodComparisonSection(MainWindow *window, StudyReport *report)
{
    widgets::ContrastPanel *panel = window->contrastPanel();
    const MethodComparisonResultPtr result = panel ? panel->methodComparisonResult() : nullptr;
    if (!result) {
        return;
    }
    const MethodComparisonRequest &s = result->settings;
    ReportSection section;
    section.title = QObject::tr("Method comparison");
    section.methods =
            QObject::tr(
                    "Which way of choosing k = %1 features best tells A (%2) from B (%3)? Each "
                    "method "
                    "selected its features inside every training fold only (never on held-out "
                    "items), "
                    "then an L2-regularised logistic regression was fitted on the standardised "
                    "training "
                    "fold and scored on the held-out fold. %4 repeats of stratified %5-fold "
                    "cross-validation give the mean and the 95% interval (2.5th–97.5th percentile "
                    "over "
                    "repeats) of balanced accuracy and AUC. The null distribution repeats the "
                    "whole "
                    "procedure, selection included, on %6 label permutations; p = (1 + b) / (1 + "
                    "permutations), with b the permutations at least as accurate. Every method saw "
                    "the "
                    "same splits and permutations (seed %7).")
                    .arg(s.k)
                    .arg(result->sideA, result->sideB)
                    .arg(s.repeats)
                    .arg(s.folds)
                    .arg(s.permutations)
                    .arg(s.seed);
    MethodComparisonModel model;
    model.setResult(result);
    ReportTable table;
    table.caption = QObject::tr("%1, %2 items").arg(result->representation).arg(result->itemCount);
    for (int column = 0; column < model.columnCount(); ++column) {
        table.header << model.headerData(column, Qt::Horizontal).toString();
    }
    for (int row = 0; row < model.rowCount(); ++row) {
        QStringList cells;
        for (int column = 0; column < model.columnCount(); ++column) {
            cells << model.index(row, column).data().toString();
        }
        table.rows.append(cells);
    }
    section.tables.append(table);
    const QByteArray chart =
            panel->figurePng(widgets::ContrastPanel::Figure::MethodComparison, 720, 420);
    if (!chart.isEmpty()) {
        section.figures.append({QObject::tr("Balanced accuracy and AUC per method (bars: mean, "
                                            "whiskers: 95% interval over repeats; grey band: "
                                            "the permutation null's 95%; dashed: chance)."),
                                chart});
    }
    report->sections.append(section);
}

}  // namespace

StudyReport collectStudyReport(MainWindow *window, EngineClient *engine)
{
    StudyReport report;
    const PromptSet &set = window->promptSetsPanel()->promptSet();
    report.title = QObject::tr("Gyrus study report: %1").arg(set.displayName());
    report.summary =
            QObject::tr(
                    "Written by Gyrus %1 on %2. Analyses that had not been run "
                    "when the report was written are left out.")
                    .arg(versionString(), QDateTime::currentDateTimeUtc().toString(Qt::ISODate));
    report.sections.append(studySection(window, engine));
    addContrastSection(window, &report);
    addRsaSection(window, &report);
    addMethodComparisonSection(window, &report);

    const ModelInfo model = engine ? engine->currentModel() : ModelInfo();
    const SaeInfo sae = engine ? engine->currentSae() : SaeInfo();
    report.provenance = {
            {QObject::tr("Prompt set file"), QDir::toNativeSeparators(set.sourceFile)},
            {QObject::tr("Prompt set sha256"),
             set.sourceFile.isEmpty() ? QString()
                                      : QString::fromLatin1(fileSha256(set.sourceFile))},
            {QObject::tr("Model directory"), QDir::toNativeSeparators(model.path)},
            {QObject::tr("Model fingerprint (sha256)"), fingerprintOf(model.path)},
            {QObject::tr("SAE directory"), QDir::toNativeSeparators(sae.path)},
            {QObject::tr("SAE fingerprint (sha256)"), fingerprintOf(sae.path)},
            {QObject::tr("SAE format"), sae.format},
            {QObject::tr("Gyrus"), versionString()},
            {QObject::tr("Qt"), QString::fromLatin1(qVersion())},
            {QObject::tr("System"), QSysInfo::prettyProductName()},
            {QObject::tr("Workspace"),
             window->workspace() ? QDir::toNativeSeparators(window->workspace()->path())
                                 : QString()}};
    return report;
}

Status exportStudyReport(MainWindow *window, EngineClient *engine, const QString &path)
{
    const QByteArray html = studyReportHtml(collectStudyReport(window, engine));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(html) != html.size() || !file.commit()) {
        return Status::invalidInput(
                QObject::tr("%1: cannot write the report (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

void exportStudyReportDialog(MainWindow *window, EngineClient *engine)
{
    const PromptSet &set = window->promptSetsPanel()->promptSet();
    const QString path =
            QFileDialog::getSaveFileName(window, QObject::tr("Export study report"),
                                         (set.name.isEmpty() ? QStringLiteral("study") : set.name) +
                                                 QStringLiteral("-report.html"),
                                         QObject::tr("HTML (*.html)"));
    if (path.isEmpty()) {
        return;
    }
    const Status status = exportStudyReport(window, engine, path);
    window->setStatusMessage(status.isOk() ? QObject::tr("Wrote the study report to %1")
                                                     .arg(QDir::toNativeSeparators(path))
                                           : status.message());
}

}  // namespace gyrus::app
