#pragma once

#include "core/llm/explainer_settings.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace gyrus::widgets {

/// Settings ▸ Language model endpoint…: who explains and judges features. Off (nothing leaves
/// the machine), the local engine (the loaded model, or an instruct model directory of its own),
/// or an OpenAI-compatible server (URL, model, API key). The key is shown masked, kept out of
/// workspaces and logs, and stored only when "Remember the key" is ticked.
class LlmEndpointDialog : public QDialog
{
    Q_OBJECT
public:
    explicit LlmEndpointDialog(const ExplainerSettings &current, QWidget *parent = nullptr);

    /// What the form says now.
    ExplainerSettings settings() const;

    /// Empty when the form describes a usable endpoint (or Off); otherwise why not.
    QString problem() const;

    // The fields (tests).
    QComboBox *kindBox() const { return m_kind; }

    QLineEdit *urlEdit() const { return m_url; }

    QLineEdit *modelEdit() const { return m_model; }

    QLineEdit *keyEdit() const { return m_key; }

    QCheckBox *rememberKeyBox() const { return m_remember; }

    void accept() override;

private:
    void updateFields();

    QComboBox *m_kind;
    QLineEdit *m_engineModel;
    QLineEdit *m_url;
    QLineEdit *m_model;
    QLineEdit *m_key;
    QCheckBox *m_remember;
    QLabel *m_problem;
    QList<QWidget *> m_engineRows;
    QList<QWidget *> m_httpRows;
};

}  // namespace gyrus::widgets
