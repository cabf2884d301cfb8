#pragma once
// Work a selection change triggers in a panel, deferred while the panel's dock is hidden (closed,
// or a tab behind another), like QGIS's QgsDockWidget::isUserVisible(): a click in the heatmap
// must not make every hidden dock load the engine. The latest deferred work runs once, when the
// panel is next shown.
//
//   m_details = new UserVisibleWork(this, [this] { requestDetails(); });
//   connect(hub, &SelectionHub::featureSelected, m_details, &UserVisibleWork::request);

#include <QObject>
#include <QPointer>

#include <functional>

class QDockWidget;
class QWidget;

namespace gyrus::widgets {

/// True unless `widget` sits in a QDockWidget that the user cannot see now (closed, or a tab
/// behind another: Qt 6 leaves such a dock "visible" but moves it out of the window, so its
/// visible region is empty). A widget outside any dock (a test, a dialog) counts as visible.
bool isUserVisible(const QWidget *widget);

class UserVisibleWork : public QObject
{
    Q_OBJECT
public:
    /// `panel` becomes the parent; `work` runs on the GUI thread.
    UserVisibleWork(QWidget *panel, std::function<void()> work);

    /// Runs the work now if the panel is user-visible, else once when it is next shown.
    void request();

    /// True while a request waits for the panel to be shown.
    bool isPending() const { return m_pending; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void watchDock();
    void runPendingSoon();

    QWidget *m_panel;
    QPointer<QDockWidget> m_dock;  // whose visibilityChanged(true) runs the pending work
    std::function<void()> m_work;
    bool m_pending = false;
};

}  // namespace gyrus::widgets
