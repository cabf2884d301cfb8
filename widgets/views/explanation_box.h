#pragma once

#include "core/features/feature_inspector_types.h"
#include "core/llm/explanation.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

namespace gyrus {
class ChatBackend;
class ChatJob;
}  // namespace gyrus

namespace gyrus::widgets {

/// "Explain" in the Features dock: asks the configured language model for a label of the shown
/// feature (its top and quantile examples, marked), shows the suggestion with its provenance,
/// and lets the user accept it (possibly edited) or reject it. Accepting writes the label like a
/// hand-written one; until then, and whenever the request or its parsing fails, the feature keeps
/// its label. Without a configured endpoint the button is off and says how to configure one:
/// nothing leaves the machine.
class ExplanationBox : public QWidget
{
    Q_OBJECT
public:
    explicit ExplanationBox(QWidget *parent = nullptr);

    /// The explainer (null: none configured). Not owned.
    void setBackend(ChatBackend *backend);
    /// The feature on screen; a different feature drops the suggestion and cancels a request.
    void setFeature(const FeatureDetailsPtr &details);
    void explain();

    QPushButton *explainButton() const { return m_explain; }

    QPushButton *acceptButton() const { return m_accept; }

    QPushButton *rejectButton() const { return m_reject; }

    QLineEdit *suggestionEdit() const { return m_suggestion; }

    QString statusText() const;

Q_SIGNALS:
    /// The user accepted `label` for `feature`; `provenance` is the suggestion it came from
    /// (FeatureExplanation::toJson() with "accepted_label" and "edited"), stored with the label.
    void accepted(int feature, const QString &label, const QJsonObject &provenance);

private:
    void onFinished();
    void dropJob();
    void showSuggestion(bool visible);
    void updateButton();

    QPointer<ChatBackend> m_backend;
    FeatureDetailsPtr m_details;
    ExplainPrompt m_prompt;
    /// The request in flight (a job of one: it owns the backend id and its cancel).
    QPointer<ChatJob> m_job;
    FeatureExplanation m_explanation;
    QPushButton *m_explain;
    QLabel *m_status;
    QWidget *m_suggestionRow;
    QLineEdit *m_suggestion;
    QLabel *m_description;
    QPushButton *m_accept;
    QPushButton *m_reject;
};

}  // namespace gyrus::widgets
