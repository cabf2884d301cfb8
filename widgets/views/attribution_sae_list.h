#pragma once

#include <QStringList>
#include <QWidget>

class QListWidget;
class QPushButton;

namespace gyrus::widgets {

/// The Attribution dock's SAEs at other hooks (e.g. one per layer), attributed in the same pass
/// beside the Model dock's SAE: a short list of directories with "Add SAE…" and "Remove". The
/// engine loads them for the attribution only; the other docks keep the one loaded SAE.
class AttributionSaeList : public QWidget
{
    Q_OBJECT
public:
    explicit AttributionSaeList(QWidget *parent = nullptr);

    QStringList paths() const;
    /// Replaces the list (made absolute; duplicates and empty paths dropped).
    void setPaths(const QStringList &paths);
    /// Appends `path` unless it is listed already.
    void addPath(const QString &path);

    /// Marks the listed SAEs that the last attribution left out: a message of `skipped` that
    /// names an SAE's directory colours its row as an error and becomes its tooltip.
    void markSkipped(const QStringList &skipped);

    /// The message markSkipped() gave `path` (empty: it was attributed, or not yet run).
    QString problem(const QString &path) const;

    QListWidget *list() const { return m_list; }

Q_SIGNALS:
    void changed();

private:
    void chooseDirectory();
    void removeSelected();

    QListWidget *m_list;
    QPushButton *m_add;
    QPushButton *m_remove;
};

}  // namespace gyrus::widgets
