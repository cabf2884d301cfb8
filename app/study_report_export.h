#pragma once
// File ▸ Export study report: gathers what the docks hold (the prompt set, model and SAE, the
// contrast table, the RSA statistics, the method comparison) into a StudyReport and writes it
// as one self-contained HTML file (core/session/study_report.h).

#include "core/base/status.h"
#include "core/session/study_report.h"

#include <QString>

namespace gyrus {
class EngineClient;
}

namespace gyrus::app {

class MainWindow;

/// The report of the study as the window shows it now. Analyses not run yet are listed as such.
StudyReport collectStudyReport(MainWindow *window, EngineClient *engine);

/// Writes collectStudyReport() as HTML to `path` (atomically).
Status exportStudyReport(MainWindow *window, EngineClient *engine, const QString &path);

/// Asks for a file name and exports; says the outcome on the status bar.
void exportStudyReportDialog(MainWindow *window, EngineClient *engine);

}  // namespace gyrus::app
