#pragma once
// A panel's one-line status under its controls: quiet (placeholder colour) while all is well,
// dark red when it reports an error, so a failure is not mistaken for a progress note.

class QLabel;
class QString;

namespace gyrus::widgets {

/// Shows \a text in \a label, in the error colour when \a error is set.
void showStatusLine(QLabel *label, const QString &text, bool error);

}  // namespace gyrus::widgets
