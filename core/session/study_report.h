#pragma once
// A study report: one self-contained HTML file (figures embedded as PNG data URLs, no external
// references) with the study's numbers, a methods text that spells out the statistical choices,
// and provenance (model and SAE fingerprints, prompt set, versions, seeds), for a lab notebook.
// The app fills a StudyReport from its docks (app/study_report_export.h); this part only writes.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

namespace gyrus {

struct ReportTable
{
    QString caption;
    QStringList header;
    QList<QStringList> rows;
};

struct ReportFigure
{
    QString caption;
    QByteArray png;  ///< the image file's bytes
};

/// One analysis: what was done (methods), what came out (tables, figures), and its settings.
struct ReportSection
{
    QString title;
    QString methods;  ///< plain text; paragraphs separated by blank lines
    QList<std::pair<QString, QString>> settings;
    QList<ReportTable> tables;
    QList<ReportFigure> figures;
};

struct StudyReport
{
    QString title;
    QString summary;  ///< plain text under the title
    QList<ReportSection> sections;
    QList<std::pair<QString, QString>> provenance;  ///< key, value (fingerprints, versions, ...)
};

/// The report as one UTF-8 HTML document. All text is escaped; images are inlined.
QByteArray studyReportHtml(const StudyReport &report);

}  // namespace gyrus
