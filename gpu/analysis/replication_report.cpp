#include "gpu/analysis/replication_report.h"

#include "gpu/analysis/feature_set_rsa.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString number(double value, int decimals = 3)
{
    return QString::number(value, 'f', decimals);
}

QString pText(double p)
{
    return p < 0.001 ? QStringLiteral("< 0.001") : number(p, 3);
}

// "p = 0.012" or "p < 0.001".
QString pLabel(double p)
{
    return p < 0.001 ? QStringLiteral("p < 0.001") : QStringLiteral("p = ") + number(p, 3);
}

QString rowLabel(const ComparisonRow &row)
{
    return QStringLiteral("%1 · %2 (%3)")
            .arg(row.representation, nameOf(row.score.method), row.version);
}

// A horizontal interval plot: one line per entry, a dot at `value`, whiskers from `low` to
// `high`, an optional grey band; x from `from` to `to` with a reference line at `reference`.
struct IntervalEntry
{
    QString label;
    double value = 0;
    double low = 0;
    double high = 0;
    double bandLow = NAN;
    double bandHigh = NAN;
    QString note;
};

QString intervalSvg(const std::vector<IntervalEntry> &entries, double from, double to,
                    double reference, int ticks, const QString &axis)
{
    // About 6.6 px per character of 12 px sans-serif, so no label runs off the left edge.
    qsizetype longest = 10;
    for (const IntervalEntry &entry : entries) {
        longest = std::max(longest, entry.label.size());
    }
    const int labelWidth = int(double(longest) * 6.6) + 16;
    const int plotWidth = 420;
    const int noteWidth = 150;
    const int line = 22;
    const int top = 12;
    const int height = top + line * int(entries.size()) + 44;
    const int width = labelWidth + plotWidth + noteWidth;
    auto x = [&](double value) {
        const double clamped = std::clamp(value, from, to);
        return labelWidth + (clamped - from) / (to - from) * plotWidth;
    };
    QString svg = QStringLiteral(
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" "
                          "viewBox=\"0 0 %1 %2\" font-family=\"sans-serif\" font-size=\"12\">\n"
                          "<rect width=\"%1\" height=\"%2\" fill=\"white\"/>\n")
                          .arg(width)
                          .arg(height);
    const double bottom = top + line * double(entries.size());
    svg += QStringLiteral(
                   "<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"#888\" "
                   "stroke-dasharray=\"4 3\"/>\n")
                   .arg(x(reference))
                   .arg(top)
                   .arg(bottom);
    for (size_t e = 0; e < entries.size(); ++e) {
        const IntervalEntry &entry = entries[e];
        const double y = top + line * (double(e) + 0.5);
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"end\">%3</text>\n")
                       .arg(labelWidth - 8)
                       .arg(y + 4)
                       .arg(escaped(entry.label));
        if (std::isfinite(entry.bandLow) && std::isfinite(entry.bandHigh)) {
            svg += QStringLiteral(
                           "<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" "
                           "fill=\"#ddd\"/>\n")
                           .arg(x(entry.bandLow))
                           .arg(y - 7)
                           .arg(std::max(1.0, x(entry.bandHigh) - x(entry.bandLow)))
                           .arg(14);
        }
        svg += QStringLiteral(
                       "<line x1=\"%1\" y1=\"%3\" x2=\"%2\" y2=\"%3\" stroke=\"#1f4e99\" "
                       "stroke-width=\"2\"/>\n")
                       .arg(x(entry.low))
                       .arg(x(entry.high))
                       .arg(y);
        svg += QStringLiteral("<circle cx=\"%1\" cy=\"%2\" r=\"4\" fill=\"#1f4e99\"/>\n")
                       .arg(x(entry.value))
                       .arg(y);
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\">%3</text>\n")
                       .arg(labelWidth + plotWidth + 8)
                       .arg(y + 4)
                       .arg(escaped(entry.note));
    }
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"black\"/>\n")
                   .arg(labelWidth)
                   .arg(bottom)
                   .arg(labelWidth + plotWidth);
    for (int tick = 0; tick <= ticks; ++tick) {
        const double value = from + (to - from) * tick / double(ticks);
        svg += QStringLiteral(
                       "<line x1=\"%1\" y1=\"%2\" x2=\"%1\" y2=\"%3\" stroke=\"black\"/>"
                       "<text x=\"%1\" y=\"%4\" text-anchor=\"middle\">%5</text>\n")
                       .arg(x(value))
                       .arg(bottom)
                       .arg(bottom + 5)
                       .arg(bottom + 18)
                       .arg(number(value, 2));
    }
    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>\n</svg>\n")
                   .arg(labelWidth + plotWidth / 2)
                   .arg(bottom + 36)
                   .arg(escaped(axis));
    return svg;
}

const char *kClaimNames[] = {
        "1. RSA-based selection beats maximum activation",
        "2. SAE features beat raw activations",
        "3. With RSA, discriminative beats categorical",
};

}  // namespace

QString claimVerdict(const ClaimTest &primary)
{
    if (primary.holmP < 0.05) {
        return primary.difference.difference > 0 ? QStringLiteral("supported")
                                                 : QStringLiteral("contradicted");
    }
    return QStringLiteral("not supported");
}

QString accuracyFigureSvg(const std::vector<ComparisonRow> &rows)
{
    std::vector<IntervalEntry> entries;
    for (const ComparisonRow &row : rows) {
        entries.push_back({rowLabel(row), row.score.balancedAccuracy, row.score.balancedAccuracyLow,
                           row.score.balancedAccuracyHigh, row.score.nullLow, row.score.nullHigh,
                           pLabel(row.score.p)});
    }
    return intervalSvg(entries, 0.3, 1.0, 0.5, 7,
                       QStringLiteral("balanced accuracy (dot: mean over repeats; line: 95% "
                                      "over repeats; grey: permutation null 95%)"));
}

QString differencesFigureSvg(const std::vector<ClaimTest> &tests)
{
    std::vector<IntervalEntry> entries;
    double extent = 0.1;
    for (const ClaimTest &test : tests) {
        extent = std::max({extent, std::abs(test.difference.low), std::abs(test.difference.high)});
    }
    extent = std::ceil(extent * 10.0) / 10.0;
    for (const ClaimTest &test : tests) {
        entries.push_back({QStringLiteral("%1 − %2").arg(test.a, test.b),
                           test.difference.difference, test.difference.low, test.difference.high,
                           NAN, NAN,
                           (test.primary ? QStringLiteral("★ ") : QString()) + pLabel(test.holmP)});
    }
    return intervalSvg(entries, -extent, extent, 0.0, 4,
                       QStringLiteral("difference in balanced accuracy, a − b (95% bootstrap CI "
                                      "over items; p: sign-flip test, Holm-adjusted)"));
}

QString replicationHtml(const ReplicationReport &report)
{
    const ReplicationInputs &in = report.inputs;
    QString html = QStringLiteral(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>Gyrus replication report: the original study's three claims</title>"
            "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.45}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;"
            "text-align:right}td:first-child,th:first-child{text-align:left}"
            ".supported{color:#1a7f37}.contradicted{color:#b42318}.not{color:#555}</style>"
            "</head><body>\n<h1>Replication report: the original study's three claims</h1>\n");
    html += QStringLiteral(
                    "<p>Prompt set <code>%1</code> (%2: <b>%3</b> = A, %4 items; <b>%5</b> "
                    "= B, %6 items), model <code>%7</code>, SAE <code>%8</code> at hook "
                    "<code>%9</code>.</p>\n")
                    .arg(escaped(in.promptSet), escaped(in.factor), escaped(in.levelA))
                    .arg(in.itemsA)
                    .arg(escaped(in.levelB))
                    .arg(in.itemsB)
                    .arg(escaped(in.model), escaped(in.sae), escaped(in.hook));
    html += QStringLiteral(
            "<h2>Verdicts</h2>\n<table><tr><th>claim</th><th>primary test</th>"
            "<th>difference</th><th>95% CI</th><th>p (Holm)</th><th>verdict</th>"
            "</tr>\n");
    for (const ClaimTest &test : report.tests) {
        if (!test.primary) {
            continue;
        }
        const QString verdict = claimVerdict(test);
        html += QStringLiteral(
                        "<tr><td>%1</td><td>%2 − %3</td><td>%4</td><td>[%5, %6]</td>"
                        "<td>%7</td><td class=\"%8\">%9</td></tr>\n")
                        .arg(escaped(test.claim), escaped(test.a), escaped(test.b),
                             number(test.difference.difference), number(test.difference.low),
                             number(test.difference.high), pText(test.holmP),
                             verdict.startsWith(QLatin1String("not")) ? QStringLiteral("not")
                                                                      : verdict,
                             verdict);
    }
    html += QStringLiteral(
            "</table>\n<p>A claim is <i>supported</i> when its primary difference "
            "is positive with a Holm-adjusted p below 0.05 (three primary tests, "
            "one per claim), <i>contradicted</i> when it is negative with such a "
            "p, and <i>not supported</i> otherwise (no difference this design "
            "can detect).</p>\n");
    html += QStringLiteral("<h2>Paired differences</h2>\n") + differencesFigureSvg(report.tests);
    html += QStringLiteral(
            "<table><tr><th>claim</th><th>a − b</th><th>difference</th>"
            "<th>95% CI</th><th>p</th><th>p (Holm)</th><th>items a better / b "
            "better</th></tr>\n");
    for (const ClaimTest &test : report.tests) {
        html += QStringLiteral(
                        "<tr><td>%1%2</td><td>%3 − %4</td><td>%5</td><td>[%6, %7]</td>"
                        "<td>%8</td><td>%9</td><td>%10 / %11</td></tr>\n")
                        .arg(test.primary ? QStringLiteral("★ ") : QString(), escaped(test.claim),
                             escaped(test.a), escaped(test.b), number(test.difference.difference),
                             number(test.difference.low), number(test.difference.high),
                             pText(test.difference.p), pText(test.holmP))
                        .arg(test.difference.itemsBetterA)
                        .arg(test.difference.itemsBetterB);
    }
    html += QStringLiteral("</table>\n<h2>Every method</h2>\n") + accuracyFigureSvg(report.rows);
    html += QStringLiteral(
            "<table><tr><th>representation · method (version)</th><th>seed "
            "name</th><th>balanced accuracy</th><th>95% over repeats</th>"
            "<th>AUC</th><th>null mean</th><th>p</th><th>features chosen on all "
            "items</th></tr>\n");
    for (const ComparisonRow &row : report.rows) {
        QStringList features;
        for (int64_t feature : row.selectedOnAllItems) {
            features << QString::number(feature);
        }
        html += QStringLiteral(
                        "<tr><td>%1</td><td>%2</td><td>%3</td><td>[%4, %5]</td><td>%6</td>"
                        "<td>%7</td><td>%8</td><td>%9</td></tr>\n")
                        .arg(escaped(rowLabel(row)), escaped(row.combination),
                             number(row.score.balancedAccuracy),
                             number(row.score.balancedAccuracyLow),
                             number(row.score.balancedAccuracyHigh), number(row.score.auc),
                             number(row.score.nullMean), pText(row.score.p),
                             features.join(QStringLiteral(", ")));
    }
    const ComparisonOptions &o = in.options;
    html += QStringLiteral(
                    "</table>\n<h2>Methods</h2>\n<p>Each item's activations at the hook "
                    "(raw: the residual dimensions; SAE: the SAE's features there) are "
                    "read over a left-aligned window of %1 token positions after BOS. "
                    "<b>Corrected</b> windows mask the positions past an item's end, so "
                    "padding never enters a pattern or a mean; <b>seed</b> windows "
                    "reproduce the original project's left-first window (%2 rows, "
                    "zero-padded in residual space and encoded by the SAE, padding "
                    "included in every mean and pattern).</p>\n")
                    .arg(in.window)
                    .arg(kSeedWindow);
    html += QStringLiteral(
                    "<p>Selection methods. <i>mean-difference</i>: |mean A − mean B| of each "
                    "feature's "
                    "window mean (the corrected maximum-activation contrast); "
                    "<i>seed-max-activation</i>: "
                    "the largest window mean over all items, blind to the condition (the seed's "
                    "definition); <i>univariate</i>: |Welch t|; "
                    "<i>temporal-discriminative-rsa</i>: per "
                    "feature, the items' time courses are the patterns, the RDM holds 1 − Pearson "
                    "r over "
                    "the positions two items share, and the score is Spearman's ρ with the model "
                    "RDM "
                    "(0 within a condition, 1 between); <i>temporal-categorical-rsa</i>: the same "
                    "over "
                    "within-condition pairs with the model 0 within A, 1 within B (positive: A's "
                    "time "
                    "courses are the more coherent); <i>feature-set-rsa</i>: k features chosen "
                    "together, "
                    "greedily, for the Pearson correlation of their joint Euclidean RDM "
                    "(standardised "
                    "window means) with the discriminative model, among the %1 best single "
                    "features; "
                    "<i>seed-temporal-*-rsa</i>: the original project's formulas, reproduced "
                    "(arctanh(1 − r) with every r ≤ 0 dropped, Student's t of within-A against "
                    "between "
                    "or within-B, z-scored; its sign favours the <i>less</i> coherent A).</p>\n")
                    .arg(featureSetCandidateCount(o.k, 1 << 30));
    html += QStringLiteral(
                    "<p>Evaluation. Every method selects k = %1 features <b>inside each training "
                    "fold</b> "
                    "of %2 × stratified %3-fold cross-validation; an L2 logistic regression (λ = "
                    "%4, on "
                    "the training fold's standardised window means of the selected features) "
                    "predicts "
                    "the held-out fold. Balanced accuracy and AUC are averaged over the repeats; "
                    "the "
                    "interval is the 2.5–97.5th percentile over repeats. %5 label permutations "
                    "(each "
                    "with its own folds) give each method's null and p = (1 + #null ≥ observed) / "
                    "(1 + "
                    "permutations). All methods and both representations see the same "
                    "splits.</p>\n")
                    .arg(o.k)
                    .arg(o.repeats)
                    .arg(o.folds)
                    .arg(o.l2)
                    .arg(o.permutations);
    html += QStringLiteral(
                    "<p>Claims as paired statistics. For two methods (or one method on two "
                    "representations), each item's out-of-fold correctness is averaged over the "
                    "repeats; "
                    "the difference in balanced accuracy is the weighted sum of the items' "
                    "differences. "
                    "Its 95% interval resamples items within each condition (%1 bootstrap "
                    "resamples); "
                    "its p flips the sign of each item's difference at random (%2 flips, "
                    "two-sided). The "
                    "three primary tests (★) are Holm-adjusted as one family, the secondary ones "
                    "as "
                    "another. The classifier sees window means, so a feature whose time course "
                    "differs "
                    "between conditions with equal means can be selected by temporal RSA but "
                    "cannot "
                    "raise the decoding accuracy; a decoding win for temporal RSA therefore means "
                    "its "
                    "features also differ in mean.</p>\n")
                    .arg(in.paired.bootstrap)
                    .arg(in.paired.signFlips);
    html += QStringLiteral("<h2>Provenance</h2>\n<table>");
    const QList<std::pair<QString, QString>> provenance = {
            {QStringLiteral("prompt set"), in.promptSet},
            {QStringLiteral("prompt set SHA-256"), in.promptSetSha256},
            {QStringLiteral("model"), in.model},
            {QStringLiteral("model fingerprint"), in.modelFingerprint},
            {QStringLiteral("SAE"), in.sae},
            {QStringLiteral("SAE fingerprint"), in.saeFingerprint},
            {QStringLiteral("hook"), in.hook},
            {QStringLiteral("seed"), QString::number(o.seed)},
            {QStringLiteral("paired-test seed"), QString::number(in.paired.seed)},
            {QStringLiteral("Gyrus version"), in.gyrusVersion},
            {QStringLiteral("written"), in.date},
            {QStringLiteral("run time"), QStringLiteral("%1 s").arg(number(in.seconds, 1))},
    };
    for (const auto &[key, value] : provenance) {
        html += QStringLiteral(
                        "<tr><td>%1</td><td style=\"text-align:left\"><code>%2</code></td>"
                        "</tr>\n")
                        .arg(escaped(key), escaped(value));
    }
    html += QStringLiteral("</table>\n");
    if (!report.notes.isEmpty()) {
        html += QStringLiteral("<h2>Notes</h2>\n<ul>");
        for (const QString &note : report.notes) {
            html += QStringLiteral("<li>%1</li>").arg(escaped(note));
        }
        html += QStringLiteral("</ul>\n");
    }
    html += QStringLiteral("</body></html>\n");
    return html;
}

QJsonObject replicationJson(const ReplicationReport &report)
{
    const ReplicationInputs &in = report.inputs;
    QJsonArray rows;
    for (const ComparisonRow &row : report.rows) {
        rows.append(comparisonRowJson(row));
    }
    QJsonArray tests;
    QJsonArray verdicts;
    for (const ClaimTest &test : report.tests) {
        tests.append(claimTestJson(test));
        if (test.primary) {
            verdicts.append(QJsonObject{{QStringLiteral("claim"), test.claim},
                                        {QStringLiteral("verdict"), claimVerdict(test)}});
        }
    }
    return QJsonObject{{QStringLiteral("prompt_set"), in.promptSet},
                       {QStringLiteral("prompt_set_sha256"), in.promptSetSha256},
                       {QStringLiteral("model"), in.model},
                       {QStringLiteral("model_fingerprint"), in.modelFingerprint},
                       {QStringLiteral("sae"), in.sae},
                       {QStringLiteral("sae_fingerprint"), in.saeFingerprint},
                       {QStringLiteral("hook"), in.hook},
                       {QStringLiteral("levels"), QJsonArray{in.levelA, in.levelB}},
                       {QStringLiteral("items"), QJsonArray{in.itemsA, in.itemsB}},
                       {QStringLiteral("window"), in.window},
                       {QStringLiteral("k"), in.options.k},
                       {QStringLiteral("folds"), in.options.folds},
                       {QStringLiteral("repeats"), in.options.repeats},
                       {QStringLiteral("permutations"), in.options.permutations},
                       {QStringLiteral("seed"), QString::number(in.options.seed)},
                       {QStringLiteral("gyrus_version"), in.gyrusVersion},
                       {QStringLiteral("seconds"), in.seconds},
                       {QStringLiteral("verdicts"), verdicts},
                       {QStringLiteral("claims"), tests},
                       {QStringLiteral("results"), rows},
                       {QStringLiteral("notes"), QJsonArray::fromStringList(report.notes)}};
}

// The claims in the order they are reported (kept here so the command and the report agree).
QStringList claimNames()
{
    return {QString::fromUtf8(kClaimNames[0]), QString::fromUtf8(kClaimNames[1]),
            QString::fromUtf8(kClaimNames[2])};
}

}  // namespace gyrus::gpu
