//! The seeded organisation: corp, app credentials, departments and users, read from `fixtures/org.json`.

use serde::{Deserialize, Serialize};

/// The fixture the emulator starts with, embedded at build time.
pub const DEFAULT_ORG_JSON: &str = include_str!("../fixtures/org.json");

/// An organisation as the emulator holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    /// The organisation itself.
    pub corp: Corp,
    /// The one internal app registered in it (shenpi).
    pub app: App,
    /// Departments; the root has id 1 and no parent.
    pub departments: Vec<Department>,
    /// Everyone, including people who have left (`active: false`).
    pub users: Vec<User>,
}

/// The organisation's identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Corp {
    /// DingTalk's corpId, `ding...`.
    pub corp_id: String,
    /// The organisation's name.
    pub name: String,
}

/// An internal app's credentials.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// AppKey, also the OAuth clientId.
    pub app_key: String,
    /// AppSecret.
    pub app_secret: String,
    /// The micro-app's agentId.
    pub agent_id: i64,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .field("agent_id", &self.agent_id)
            .finish()
    }
}

/// A department.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Department {
    /// Department id; the root is 1.
    pub dept_id: i64,
    /// Name.
    pub name: String,
    /// Parent department, `None` for the root.
    pub parent_id: Option<i64>,
    /// The department's managers.
    #[serde(default)]
    pub manager_user_ids: Vec<String>,
}

/// A person in the organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// userid inside the organisation.
    pub user_id: String,
    /// unionid across organisations.
    pub union_id: String,
    /// Display name.
    pub name: String,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Departments, the main one first.
    pub dept_ids: Vec<i64>,
    /// Direct manager's userid.
    #[serde(default)]
    pub manager_user_id: Option<String>,
    /// False once the person has left the organisation.
    pub active: bool,
    /// The organisation's boss.
    #[serde(default)]
    pub boss: bool,
    /// Avatar URL; absent means DingTalk's default avatar.
    #[serde(default)]
    pub avatar: Option<String>,
}

impl Org {
    /// Parses an organisation fixture.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The built-in seed organisation.
    pub fn seed() -> Self {
        // The fixture is compiled in and checked by a unit test, so failing here is a build defect.
        Self::from_json(DEFAULT_ORG_JSON).expect("fixtures/org.json is valid")
    }

    /// Looks a user up by userid.
    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    /// A current member: someone in the organisation who has not left. People who left can neither log in nor
    /// be looked up, as in DingTalk.
    pub fn member(&self, user_id: &str) -> Option<&User> {
        self.user(user_id).filter(|u| u.active)
    }

    /// Whether `user_id` manages department `dept_id`.
    pub fn is_leader(&self, user_id: &str, dept_id: i64) -> bool {
        self.departments.iter().any(|d| d.dept_id == dept_id && d.manager_user_ids.iter().any(|m| m == user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_fixture_is_consistent() {
        let org = Org::seed();
        for user in &org.users {
            assert!(!user.dept_ids.is_empty(), "{} has no department", user.user_id);
            for dept in &user.dept_ids {
                assert!(org.departments.iter().any(|d| d.dept_id == *dept), "{} in unknown dept {dept}", user.user_id);
            }
            if let Some(m) = &user.manager_user_id {
                assert!(org.user(m).is_some(), "{} has unknown manager {m}", user.user_id);
            }
        }
        assert!(org.users.iter().any(|u| !u.active), "the seed needs someone who left");
        assert!(org.users.iter().any(|u| u.dept_ids.len() > 1), "the seed needs someone in two departments");
    }

    #[test]
    fn app_secret_is_redacted_in_debug() {
        let org = Org::seed();
        assert!(!format!("{:?}", org.app).contains(&org.app.app_secret));
    }
}
