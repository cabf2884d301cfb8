#include "app/analysis_sections.h"

#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/rsa_panel.h"
#include "widgets/panels/steering_panel.h"
#include "widgets/panels/token_heatmap_panel.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>

#include <functional>

namespace gyrus::app {

namespace {

/// A panel whose state is JSON plus arrays: save() and saveData() come from one call, so the
/// JSON that the dirty check compares describes exactly the arrays written beside it.
template <typename Panel>
class PanelSection : public WorkspaceSection
{
public:
    PanelSection(QString name, Panel *panel, int order)
        : m_name(std::move(name))
        , m_panel(panel)
        , m_order(order)
    {}

    QString name() const override { return m_name; }

    int restoreOrder() const override { return m_order; }

    QByteArray save() const override
    {
        WorkspaceData ignored;
        return m_panel ? QJsonDocument(m_panel->workspaceState(&ignored))
                                 .toJson(QJsonDocument::Compact)
                       : QByteArray("{}");
    }

    WorkspaceData saveData() const override
    {
        WorkspaceData data;
        if (m_panel) {
            m_panel->workspaceState(&data);
        }
        return data;
    }

    void setRestoredData(const WorkspaceData &data) override { m_restoredData = data; }

    Status restore(const QByteArray &json, QStringList *warnings) override
    {
        if (!m_panel) {
            return Status::ok();
        }
        const QJsonDocument document = QJsonDocument::fromJson(json);
        if (!document.isObject()) {
            return Status::invalidInput(QStringLiteral("not a JSON object"));
        }
        const Status status =
                m_panel->restoreWorkspaceState(document.object(), m_restoredData, warnings);
        m_restoredData.clear();
        return status;
    }

protected:
    QString m_name;
    QPointer<Panel> m_panel;
    int m_order;
    WorkspaceData m_restoredData;
};

class ContrastsSection : public PanelSection<widgets::ContrastPanel>
{
public:
    using PanelSection::PanelSection;

    void reset() override
    {
        if (m_panel) {
            m_panel->clearResults();
        }
    }
};

class RsaSection : public PanelSection<widgets::RsaPanel>
{
public:
    using PanelSection::PanelSection;

    void reset() override
    {
        if (m_panel) {
            m_panel->clearResult();
        }
    }
};

class SteeringSection : public WorkspaceSection
{
public:
    explicit SteeringSection(widgets::SteeringPanel *panel)
        : m_panel(panel)
    {}

    QString name() const override { return QStringLiteral("steering"); }

    QByteArray save() const override
    {
        WorkspaceData ignored;
        return m_panel ? QJsonDocument(m_panel->workspaceState(&ignored))
                                 .toJson(QJsonDocument::Compact)
                       : QByteArray("{}");
    }

    WorkspaceData saveData() const override
    {
        WorkspaceData data;
        if (m_panel) {
            m_panel->workspaceState(&data);
        }
        return data;
    }

    void setRestoredData(const WorkspaceData &data) override { m_restoredData = data; }

    Status restore(const QByteArray &json, QStringList *) override
    {
        const QJsonDocument document = QJsonDocument::fromJson(json);
        if (!document.isObject()) {
            return Status::invalidInput(QStringLiteral("not a JSON object"));
        }
        return m_panel ? m_panel->restoreWorkspaceState(document.object(), m_restoredData)
                       : Status::ok();
    }

    void reset() override
    {
        if (m_panel) {
            m_panel->restoreWorkspaceState(QJsonObject(), WorkspaceData());
        }
    }

private:
    QPointer<widgets::SteeringPanel> m_panel;
    WorkspaceData m_restoredData;
};

class HeatmapSection : public WorkspaceSection
{
public:
    explicit HeatmapSection(widgets::TokenHeatmapPanel *panel)
        : m_panel(panel)
    {}

    QString name() const override { return QStringLiteral("heatmap"); }

    QByteArray save() const override
    {
        return m_panel ? QJsonDocument(m_panel->workspaceState()).toJson(QJsonDocument::Compact)
                       : QByteArray("{}");
    }

    WorkspaceData saveData() const override
    {
        WorkspaceData data;
        if (m_panel) {
            m_panel->workspaceState(&data);
        }
        return data;
    }

    void setRestoredData(const WorkspaceData &data) override { m_restoredData = data; }

    Status restore(const QByteArray &json, QStringList *warnings) override
    {
        const QJsonDocument document = QJsonDocument::fromJson(json);
        if (!document.isObject()) {
            return Status::invalidInput(QStringLiteral("not a JSON object"));
        }
        if (m_panel) {
            m_panel->restoreWorkspaceState(document.object(), m_restoredData, warnings);
        }
        m_restoredData.clear();
        return Status::ok();
    }

    void reset() override
    {
        if (m_panel) {
            m_panel->restoreWorkspaceState(QJsonObject());
        }
    }

private:
    QPointer<widgets::TokenHeatmapPanel> m_panel;
    WorkspaceData m_restoredData;
};

}  // namespace

std::unique_ptr<WorkspaceSection> makeHeatmapSection(widgets::TokenHeatmapPanel *panel)
{
    return std::make_unique<HeatmapSection>(panel);
}

std::unique_ptr<WorkspaceSection> makeSteeringSection(widgets::SteeringPanel *panel)
{
    return std::make_unique<SteeringSection>(panel);
}

std::unique_ptr<WorkspaceSection> makeContrastsSection(widgets::ContrastPanel *panel)
{
    return std::make_unique<ContrastsSection>(QStringLiteral("contrasts"), panel, 1);
}

std::unique_ptr<WorkspaceSection> makeRsaSection(widgets::RsaPanel *panel)
{
    return std::make_unique<RsaSection>(QStringLiteral("rsa"), panel, 1);
}

}  // namespace gyrus::app
