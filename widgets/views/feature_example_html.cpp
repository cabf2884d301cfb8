#include "widgets/views/feature_example_html.h"

#include "core/features/token_display.h"

#include <QtMath>

namespace gyrus::widgets {

namespace {

// Token pieces may carry newlines or be pure whitespace: show them so the highlight has a body.
QString escapedText(const QString &text)
{
    QString escaped = text.toHtmlEscaped();
    escaped.replace(QLatin1Char('\n'), QStringLiteral("↵"));
    return escaped;
}

// The highlighted token is written as in every other view (core/features/token_display.h); its
// context stays running text.
QString tokenHtml(const QString &token)
{
    return visibleToken(token).toHtmlEscaped();
}

}  // namespace

QColor activationHighlight(double fraction, const QColor &accent, const QColor &background)
{
    const double t = 0.25 + 0.75 * qBound(0.0, fraction, 1.0);
    return QColor::fromRgbF(float(background.redF() * (1 - t) + accent.redF() * t),
                            float(background.greenF() * (1 - t) + accent.greenF() * t),
                            float(background.blueF() * (1 - t) + accent.blueF() * t));
}

QString formatActivation(double value)
{
    if (value == 0) {
        return QStringLiteral("0");
    }
    const double magnitude = std::abs(value);
    const int decimals = magnitude >= 100 ? 0 : qMax(0, 2 - int(std::floor(std::log10(magnitude))));
    return QString::number(value, 'f', qMin(decimals, 4));
}

QString exampleRowsHtml(const QList<FeatureExampleText> &examples, double maxActivation,
                        const QColor &accent, const QColor &background)
{
    QString html = QStringLiteral("<table width=\"100%\" cellspacing=\"0\" cellpadding=\"3\">");
    for (const FeatureExampleText &e : examples) {
        const double fraction = maxActivation > 0 ? e.activation / maxActivation : 0;
        const QColor highlight = activationHighlight(fraction, accent, background);
        // Dark text on a light highlight, light on a dark one.
        const QColor ink = highlight.lightnessF() > 0.55 ? QColor(Qt::black) : QColor(Qt::white);
        html += QStringLiteral(
                        "<tr><td align=\"right\" width=\"52\"><tt>%1</tt></td>"
                        "<td>%2<span style=\"background-color:%3; color:%4;\"><b>%5</b>"
                        "</span>%6</td></tr>")
                        .arg(formatActivation(e.activation), escapedText(e.before),
                             highlight.name(), ink.name(), tokenHtml(e.token),
                             escapedText(e.after));
    }
    html += QStringLiteral("</table>");
    return html;
}

QString binExamplesHtml(const QList<FeatureBinExamples> &bins, double maxActivation,
                        const QColor &accent, const QColor &background)
{
    QString html;
    for (auto bin = bins.crbegin(); bin != bins.crend(); ++bin) {
        if (bin->examples.isEmpty()) {
            continue;
        }
        html += QStringLiteral(
                        "<p style=\"margin-top:6px; margin-bottom:0px;\"><b>%1 – %2</b>"
                        " &nbsp;<span style=\"color:gray;\">%L3 tokens</span></p>")
                        .arg(formatActivation(bin->low), formatActivation(bin->high))
                        .arg(bin->count);
        html += exampleRowsHtml(bin->examples, maxActivation, accent, background);
    }
    return html;
}

}  // namespace gyrus::widgets
