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
        assert!(org.users.len() >= 30, "the seed needs at least 30 people, has {}", org.users.len());
        assert!(org.departments.len() >= 5, "the seed needs at least 5 departments");
        let unique = |ids: Vec<String>, what: &str| {
            let set: std::collections::HashSet<_> = ids.iter().collect();
            assert_eq!(set.len(), ids.len(), "{what} are not unique");
        };
        unique(org.users.iter().map(|u| u.user_id.clone()).collect(), "userIds");
        unique(org.users.iter().map(|u| u.union_id.clone()).collect(), "unionIds");
        unique(org.departments.iter().map(|d| d.dept_id.to_string()).collect(), "deptIds");
        let dept = |id: i64| org.departments.iter().find(|d| d.dept_id == id);
        let roots: Vec<_> = org.departments.iter().filter(|d| d.parent_id.is_none()).collect();
        assert!(roots.len() == 1 && roots[0].dept_id == 1, "dept 1 is the one root");
        for d in &org.departments {
            if let Some(parent) = d.parent_id {
                assert!(dept(parent).is_some(), "dept {} has unknown parent {parent}", d.dept_id);
            }
            assert!(!d.manager_user_ids.is_empty(), "dept {} has no manager", d.dept_id);
            for m in &d.manager_user_ids {
                let manager = org.member(m).unwrap_or_else(|| panic!("dept {} manager {m} is not a member", d.dept_id));
                assert!(manager.dept_ids.contains(&d.dept_id), "{m} manages dept {} but is not in it", d.dept_id);
            }
        }
        for user in &org.users {
            assert!(!user.dept_ids.is_empty(), "{} has no department", user.user_id);
            for d in &user.dept_ids {
                assert!(dept(*d).is_some(), "{} in unknown dept {d}", user.user_id);
            }
            // A person reports to their main department's manager; a department's manager reports to the parent
            // department's manager, so `managerUserId` and `managerUserIds` tell the same story.
            let main = &org.departments.iter().find(|d| d.dept_id == user.dept_ids[0]).expect("checked above");
            let expected_from =
                if org.is_leader(&user.user_id, main.dept_id) { main.parent_id } else { Some(main.dept_id) };
            match (&user.manager_user_id, expected_from) {
                (None, None) => {}
                (Some(m), Some(from)) => {
                    assert!(org.member(m).is_some(), "{} has manager {m} who is not a member", user.user_id);
                    assert!(org.is_leader(m, from), "{}'s manager {m} does not lead dept {from}", user.user_id);
                }
                (m, from) => panic!("{} has manager {m:?} but should report to dept {from:?}", user.user_id),
            }
        }
        let chain = |start: &str| {
            let mut chain = vec![];
            let mut at = org.user(start).and_then(|u| u.manager_user_id.clone());
            while let Some(m) = at {
                assert!(chain.len() < org.users.len(), "manager loop at {m}");
                at = org.user(&m).and_then(|u| u.manager_user_id.clone());
                chain.push(m);
            }
            chain
        };
        assert_eq!(chain("zhangsan"), ["fe_lead", "rd_head", "ceo001"], "the seed needs a chain three deep");
        assert!(org.users.iter().all(|u| u.boss == (u.user_id == "ceo001")), "ceo001 is the one boss");
        assert!(org.user("former01").is_some_and(|u| !u.active), "the seed needs someone who left");
        assert!(org.user("lisi").is_some_and(|u| u.dept_ids.len() > 1), "the seed needs someone in two departments");
        for (id, dept_id) in
            [("hr_head", 400), ("fin_clerk", 200), ("fin_cashier", 200), ("admin01", 300), ("admin02", 300)]
        {
            let user = org.member(id).unwrap_or_else(|| panic!("the templates' flows need {id}"));
            assert_eq!(user.dept_ids[0], dept_id, "{id} belongs in dept {dept_id}");
        }
    }

    #[test]
    fn app_secret_is_redacted_in_debug() {
        let org = Org::seed();
        assert!(!format!("{:?}", org.app).contains(&org.app.app_secret));
    }
}
