#pragma once

#include "core/engine/engine_client.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace gyrus {
class RequestTracker;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

class SaePicker;

/// The Model dock: choose a Hugging Face directory (dialog, recent list or drag-and-drop),
/// device and dtype; load it with progress and cancel; show the model card; type a prompt and
/// watch the continuation stream in. Talks to the engine only through EngineClient and ignores
/// results of requests it has superseded.
class ModelPanel : public QWidget
{
    Q_OBJECT
public:
    /// `session`: what its SAE row follows (null: a session of its own that follows `engine`).
    explicit ModelPanel(EngineClient *engine, SessionState *session = nullptr,
                        QWidget *parent = nullptr);

    /// Devices offered in the device box, e.g. {"cpu", "cuda:0 (A100, 70 GiB free)"}; the text
    /// up to the first space is the device id.
    void setDevices(const QStringList &devices);
    /// Selects the device whose id (the text up to the first space) is `device`; false if absent.
    bool setCurrentDevice(const QString &device);
    /// Selects the weight dtype by any of its names (core/base/vocabulary.h: "fp32", "float32",
    /// ...); false if unknown or not offered.
    bool setCurrentDtype(const QString &dtype);
    void setRecentModels(const QStringList &paths);
    QStringList recentModels() const;

    /// Starts loading `path` with the chosen device and dtype.
    void loadModel(const QString &path);
    /// Starts loading the SAE in `path` on `device` (empty: the loaded model's device).
    void loadSae(const QString &path, const QString &device = QString());
    /// Generates from the prompt box.
    void generate();

    /// The SAE row (load an SAE for the feature views).
    SaePicker *saePicker() const { return m_saePicker; }

    QString modelPath() const;
    QString output() const;
    QString statusText() const;
    bool isBusy() const;

Q_SIGNALS:
    /// The recent list changed (a model was loaded); the app persists it.
    void recentModelsChanged(const QStringList &paths);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void chooseDirectory();
    void cancelCurrent();
    void showCard(const ModelInfo &info);
    void updateEnabled();
    void rememberRecent(const QString &path);

    EngineClient *m_engine;

    enum Slot
    {
        Load,
        Generate,
    };

    RequestTracker *m_requests;
    QStringList m_recent;

    QComboBox *m_path;
    QPushButton *m_browse;
    QComboBox *m_device;
    QComboBox *m_dtype;
    QPushButton *m_load;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status;
    QFormLayout *m_card;
    QLabel *m_cardFields[11];
    QPlainTextEdit *m_prompt;
    QSpinBox *m_maxTokens;
    QDoubleSpinBox *m_temperature;
    QSpinBox *m_seed;
    QPushButton *m_generate;
    QPlainTextEdit *m_output;
    SaePicker *m_saePicker;
};

}  // namespace gyrus::widgets
