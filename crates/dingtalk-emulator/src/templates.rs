//! Approval templates ("processes") as the organisation keeps them: the form schema DingTalk returns from
//! `GET /v1.0/workflow/forms/schemas/processCodes` (server-api.md §5.4) and the approval flow the engine follows.
//! Read from `fixtures/templates.json`; nothing about a template is in code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The fixture the emulator starts with, embedded at build time.
pub const DEFAULT_TEMPLATES_JSON: &str = include_str!("../fixtures/templates.json");

/// An approval template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// `PROC-...`, the id every API uses.
    pub process_code: String,
    /// Display name (`请假`).
    pub name: String,
    /// Icon name as DingTalk's template list gives it.
    pub icon: String,
    /// Folder in the template list (`dirName`).
    pub dir_name: String,
    /// Suite category for events; empty for plain OA forms.
    #[serde(default)]
    pub biz_category_id: String,
    /// A line about the template (`memo`).
    #[serde(default)]
    pub memo: String,
    /// Departments whose members (including sub-departments) see the template; empty = everyone.
    #[serde(default)]
    pub visible_dept_ids: Vec<i64>,
    /// The form: top-level controls in order.
    pub items: Vec<Component>,
    /// Who approves when the caller does not pass `approvers`.
    pub flow: Flow,
}

/// The closed set of form controls (server-api.md §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComponentName {
    TextField,
    TextareaField,
    NumberField,
    MoneyField,
    DDSelectField,
    DDMultiSelectField,
    DDDateField,
    DDDateRangeField,
    TextNote,
    PhoneField,
    DDPhotoField,
    TableField,
    DDAttachment,
    InnerContactField,
    DepartmentField,
    RelateField,
    AddressField,
    StarRatingField,
    FormRelateField,
    DDHolidayField,
    TimeAndLocationField,
}

impl ComponentName {
    /// Every control kind, in the order server-api.md §5.4 lists them.
    pub const ALL: [ComponentName; 21] = [
        Self::TextField,
        Self::TextareaField,
        Self::NumberField,
        Self::MoneyField,
        Self::DDSelectField,
        Self::DDMultiSelectField,
        Self::DDDateField,
        Self::DDDateRangeField,
        Self::TextNote,
        Self::PhoneField,
        Self::DDPhotoField,
        Self::TableField,
        Self::DDAttachment,
        Self::InnerContactField,
        Self::DepartmentField,
        Self::RelateField,
        Self::AddressField,
        Self::StarRatingField,
        Self::FormRelateField,
        Self::DDHolidayField,
        Self::TimeAndLocationField,
    ];

    /// The name as the schema's `componentName` and a value's `componentType` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextField => "TextField",
            Self::TextareaField => "TextareaField",
            Self::NumberField => "NumberField",
            Self::MoneyField => "MoneyField",
            Self::DDSelectField => "DDSelectField",
            Self::DDMultiSelectField => "DDMultiSelectField",
            Self::DDDateField => "DDDateField",
            Self::DDDateRangeField => "DDDateRangeField",
            Self::TextNote => "TextNote",
            Self::PhoneField => "PhoneField",
            Self::DDPhotoField => "DDPhotoField",
            Self::TableField => "TableField",
            Self::DDAttachment => "DDAttachment",
            Self::InnerContactField => "InnerContactField",
            Self::DepartmentField => "DepartmentField",
            Self::RelateField => "RelateField",
            Self::AddressField => "AddressField",
            Self::StarRatingField => "StarRatingField",
            Self::FormRelateField => "FormRelateField",
            Self::DDHolidayField => "DDHolidayField",
            Self::TimeAndLocationField => "TimeAndLocationField",
        }
    }
}

/// One form control, with its children for `TableField`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// What kind of control.
    pub component_name: ComponentName,
    /// Its properties.
    pub props: Props,
    /// A table's columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Component>,
}

/// A control's properties; the ones the emulator interprets are typed, the rest kept as given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Props {
    /// `TextField-K2AD4O5B`.
    pub id: String,
    /// The label; form values name their control by it. For `DDDateRangeField` a JSON array of two labels.
    pub label: String,
    /// A stable alias for integrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_alias: Option<String>,
    /// Whether a value is required.
    #[serde(default)]
    pub required: bool,
    /// Hint text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Choices of a (multi-)select.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Date format: `yyyy-MM-dd` or `yyyy-MM-dd HH:mm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Unit: `天`/`小时` for date ranges, unit text for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `InnerContactField`: 1 = several people, 0 = one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<i64>,
    /// Everything else (`upper`, `statField`, `tableViewMode`, ...), passed through to the schema unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A template's flow: approval steps in order, then CC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    /// Steps in order; a step may apply only under a condition.
    pub steps: Vec<FlowStep>,
    /// Who is copied, and when.
    #[serde(default)]
    pub cc: Option<FlowCc>,
}

/// One approval step of a template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowStep {
    /// `activityId` of the step's tasks.
    pub activity_id: String,
    /// The step's name as the detail page shows it (`直属主管`).
    pub name: String,
    /// Who approves.
    pub approvers: StepApprovers,
    /// How several approvers decide.
    #[serde(default = "default_action")]
    pub action_type: ActionType,
    /// Only when this holds.
    #[serde(default)]
    pub condition: Option<Condition>,
}

fn default_action() -> ActionType {
    ActionType::None
}

/// Where a step's approvers come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum StepApprovers {
    /// The originator's manager `level` steps up (1 = direct manager). Skipped when there is none.
    Manager { level: u32 },
    /// Named people.
    Users { user_ids: Vec<String> },
    /// The originator picks (`targetSelectActioners`), from `scope` (empty = anyone in the organisation).
    OriginatorPicks {
        #[serde(default)]
        scope: Vec<String>,
    },
}

/// AND (会签), OR (或签) or a single approver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ActionType {
    /// Everyone must agree.
    And,
    /// The first to act decides.
    Or,
    /// One approver.
    None,
}

/// A condition on a numeric form value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The control's id.
    pub field_id: String,
    /// The step applies when the value is at least this.
    pub at_least: f64,
}

/// A template's CC node (抄送人): people it always copies, and whom the originator may add when the node is set to
/// "发起人自选". The forecast lists it after the approval steps, as an `actorType: notifier` rule; the originator's
/// picks come back in `targetSelectActioners` under the node's `activityId`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowCc {
    /// The node's `activityId` (the `actionerKey` of the originator's picks).
    #[serde(default = "default_cc_activity")]
    pub activity_id: String,
    /// Its name, as the forecast shows it.
    #[serde(default = "default_cc_name")]
    pub name: String,
    /// Who is always copied.
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// When.
    pub position: CcPosition,
    /// Present when the originator may add people to copy.
    #[serde(default)]
    pub originator_picks: Option<CcPicks>,
}

fn default_cc_activity() -> String {
    "sid-notifier".to_owned()
}

fn default_cc_name() -> String {
    "抄送人".to_owned()
}

/// Whom the originator may copy on a 发起人自选 CC node.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CcPicks {
    /// The people they may pick from (empty: anyone in the organisation).
    #[serde(default)]
    pub scope: Vec<String>,
    /// Whether a request needs at least one.
    #[serde(default)]
    pub required: bool,
}

/// When CC'd people are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CcPosition {
    /// When the instance starts.
    Start,
    /// When it finishes.
    Finish,
    /// Both.
    StartFinish,
}

impl Template {
    /// Every top-level control and every table column, depth first.
    pub fn components(&self) -> impl Iterator<Item = &Component> {
        self.items.iter().flat_map(|c| std::iter::once(c).chain(c.children.iter()))
    }
}

/// Parses a templates fixture.
pub fn from_json(json: &str) -> Result<Vec<Template>, serde_json::Error> {
    serde_json::from_str(json)
}

/// The built-in templates.
pub fn seed() -> Vec<Template> {
    // The fixture is compiled in and checked by a unit test, so failing here is a build defect.
    from_json(DEFAULT_TEMPLATES_JSON).expect("fixtures/templates.json is valid")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::forms::CreateSupport;
    use crate::org::Org;

    #[test]
    fn component_names_round_trip_through_serde() {
        for name in ComponentName::ALL {
            assert_eq!(serde_json::to_value(name).ok(), Some(Value::from(name.as_str())));
        }
        let distinct: HashSet<_> = ComponentName::ALL.iter().collect();
        assert_eq!(distinct.len(), ComponentName::ALL.len());
    }

    #[test]
    fn seed_templates_are_consistent() {
        let templates = seed();
        let codes: HashSet<_> = templates.iter().map(|t| t.process_code.as_str()).collect();
        assert_eq!(codes.len(), templates.len(), "process codes are unique");
        for code in ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", "PROC-EMU-GENERAL"] {
            assert!(codes.contains(code), "{code} is seeded");
        }
        for t in &templates {
            let mut ids = HashSet::new();
            for c in t.components() {
                let id = &c.props.id;
                assert!(ids.insert(id.as_str()), "{}: id {id} is used twice", t.process_code);
                let suffix = id.strip_prefix(&format!("{}-", c.component_name.as_str()));
                assert!(
                    suffix.is_some_and(
                        |s| s.len() == 8 && s.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
                    ),
                    "{}: id {id} is not shaped like DingTalk's",
                    t.process_code
                );
            }
            for c in &t.items {
                assert_eq!(
                    c.component_name == ComponentName::TableField,
                    !c.children.is_empty(),
                    "{}: only tables have columns, and every table has some ({})",
                    t.process_code,
                    c.props.id
                );
                for col in &c.children {
                    assert!(col.children.is_empty(), "{}: tables do not nest", t.process_code);
                }
            }
            for c in t.components() {
                let p = &c.props;
                match c.component_name {
                    ComponentName::DDSelectField | ComponentName::DDMultiSelectField => {
                        assert!(p.options.as_ref().is_some_and(|o| !o.is_empty()), "{} needs options", p.id)
                    }
                    ComponentName::DDDateField | ComponentName::DDDateRangeField => assert!(
                        matches!(p.format.as_deref(), Some("yyyy-MM-dd" | "yyyy-MM-dd HH:mm")),
                        "{} needs a date format",
                        p.id
                    ),
                    ComponentName::InnerContactField => {
                        assert!(matches!(p.choice, Some(0 | 1)), "{} needs choice 0 or 1", p.id)
                    }
                    _ => {}
                }
                if matches!(c.component_name, ComponentName::DDDateRangeField | ComponentName::TimeAndLocationField) {
                    let labels: Result<Vec<String>, _> = serde_json::from_str(&p.label);
                    assert!(labels.is_ok_and(|l| l.len() == 2), "{}'s label is a JSON array of two", p.id);
                }
                if p.required {
                    assert_eq!(
                        c.component_name.create_support(),
                        CreateSupport::Value,
                        "{}: a required control the create API cannot fill makes the template unusable",
                        p.id
                    );
                }
            }
            for step in &t.flow.steps {
                if let Some(cond) = &step.condition {
                    let field = t.items.iter().find(|c| c.props.id == cond.field_id);
                    assert!(
                        field.is_some_and(|c| matches!(
                            c.component_name,
                            ComponentName::NumberField | ComponentName::MoneyField
                        )),
                        "{}: condition field {} is not a top-level number or money control",
                        t.process_code,
                        cond.field_id
                    );
                }
            }
        }
    }

    #[test]
    fn seed_templates_use_every_component_the_create_api_fills() {
        let used: HashSet<_> =
            seed().iter().flat_map(|t| t.components().map(|c| c.component_name).collect::<Vec<_>>()).collect();
        for name in ComponentName::ALL {
            if name.create_support() == CreateSupport::Value {
                assert!(used.contains(&name), "no seeded template uses {}", name.as_str());
            }
        }
        assert!(used.contains(&ComponentName::TextNote), "a seeded template shows a note");
    }

    #[test]
    fn seed_flows_name_current_members() {
        let org = Org::seed();
        for t in seed() {
            let mut named = vec![];
            for step in &t.flow.steps {
                match &step.approvers {
                    StepApprovers::Users { user_ids } => named.extend(user_ids.clone()),
                    StepApprovers::OriginatorPicks { scope } => named.extend(scope.clone()),
                    StepApprovers::Manager { level } => {
                        assert!(*level >= 1, "{}: manager level starts at 1", t.process_code)
                    }
                }
            }
            named.extend(t.flow.cc.iter().flat_map(|cc| cc.user_ids.clone()));
            for user in named {
                assert!(org.member(&user).is_some(), "{}'s flow names {user}, who is not a member", t.process_code);
            }
        }
    }
}
