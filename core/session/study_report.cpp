#include "core/session/study_report.h"

namespace gyrus {

namespace {

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString paragraphs(const QString &text)
{
    QString html;
    for (const QString &paragraph : text.split(QStringLiteral("\n\n"), Qt::SkipEmptyParts)) {
        html += QStringLiteral("<p>") + escaped(paragraph.trimmed()) + QStringLiteral("</p>\n");
    }
    return html;
}

QString keyValueTable(const QList<std::pair<QString, QString>> &pairs, const QString &cssClass)
{
    if (pairs.isEmpty()) {
        return QString();
    }
    QString html = QStringLiteral("<table class=\"%1\">\n").arg(cssClass);
    for (const auto &[key, value] : pairs) {
        html += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n")
                        .arg(escaped(key), escaped(value));
    }
    return html + QStringLiteral("</table>\n");
}

QString dataTable(const ReportTable &table)
{
    QString html = QStringLiteral("<table class=\"data\">\n");
    if (!table.caption.isEmpty()) {
        html += QStringLiteral("<caption>%1</caption>\n").arg(escaped(table.caption));
    }
    html += QStringLiteral("<thead><tr>");
    for (const QString &cell : table.header) {
        html += QStringLiteral("<th>%1</th>").arg(escaped(cell));
    }
    html += QStringLiteral("</tr></thead>\n<tbody>\n");
    for (const QStringList &row : table.rows) {
        html += QStringLiteral("<tr>");
        for (const QString &cell : row) {
            html += QStringLiteral("<td>%1</td>").arg(escaped(cell));
        }
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</tbody></table>\n");
}

QString figure(const ReportFigure &figure)
{
    return QStringLiteral(
                   "<figure><img alt=\"%1\" src=\"data:image/png;base64,%2\">"
                   "<figcaption>%1</figcaption></figure>\n")
            .arg(escaped(figure.caption), QString::fromLatin1(figure.png.toBase64()));
}

const char *kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 62em;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
table.data th, table.data td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
table.data td { text-align: right; font-variant-numeric: tabular-nums; }
table.data td:first-child { text-align: left; }
table.settings th, table.provenance th { text-align: left; padding-right: 1em;
       font-weight: normal; color: #555; vertical-align: top; }
table.provenance td { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em;
       word-break: break-all; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
)";

}  // namespace

QByteArray studyReportHtml(const StudyReport &report)
{
    QString html = QStringLiteral(
                           "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                           "<meta charset=\"utf-8\">\n<title>%1</title>\n<style>%2</style>\n"
                           "</head>\n<body>\n<h1>%1</h1>\n")
                           .arg(escaped(report.title), QString::fromLatin1(kStyle));
    html += paragraphs(report.summary);
    for (const ReportSection &section : report.sections) {
        html += QStringLiteral("<section>\n<h2>%1</h2>\n").arg(escaped(section.title));
        html += paragraphs(section.methods);
        html += keyValueTable(section.settings, QStringLiteral("settings"));
        for (const ReportTable &table : section.tables) {
            html += dataTable(table);
        }
        for (const ReportFigure &f : section.figures) {
            html += figure(f);
        }
        html += QStringLiteral("</section>\n");
    }
    html += QStringLiteral("<section>\n<h2>Provenance</h2>\n");
    html += keyValueTable(report.provenance, QStringLiteral("provenance"));
    html += QStringLiteral("</section>\n</body>\n</html>\n");
    return html.toUtf8();
}

}  // namespace gyrus
