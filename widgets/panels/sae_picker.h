#pragma once

#include "core/engine/engine_client.h"

#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace gyrus {
class RequestTracker;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

/// The SAE row of the Model dock: choose an SAE directory (SAELens layout, Gemma Scope or Llama
/// Scope), load it onto the model's device, and show its card (hook, architecture, d_in → d_sae,
/// k, the model it was trained on and how it expects its input) with a flag saying whether it
/// fits the loaded model: hook missing or d_in wrong (an error), another model_name (a warning).
/// The heatmap, inspector, steering and analysis docks use the loaded SAE.
class SaePicker : public QWidget
{
    Q_OBJECT
public:
    /// Its card follows `session`'s SAE and model (null: a session of its own that follows
    /// `engine`), whoever loaded them (this picker, a workspace, the start-up options).
    explicit SaePicker(EngineClient *engine, SessionState *session = nullptr,
                       QWidget *parent = nullptr);

    /// Starts loading `path` on `device`, or on the device of the loaded model when empty.
    void loadSae(const QString &path, const QString &device = QString());
    QString statusText() const;
    /// The fit flag's text: empty without an SAE or a model.
    QString fitText() const;

private:
    void showCard(const SaeInfo &info);
    void showFit();

    EngineClient *m_engine;
    QPointer<SessionState> m_session;
    RequestTracker *m_requests;  // one slot: the latest load
    QComboBox *m_path;
    int m_failedPathInserted = -1;  // the row loadSae() added for a path not yet loaded
    QPushButton *m_browse;
    QPushButton *m_load;
    QLabel *m_card;
    QLabel *m_fitIcon;
    QLabel *m_fit;
};

}  // namespace gyrus::widgets
