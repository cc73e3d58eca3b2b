//! Agents and Groups (2.4.2) wherever they appear: actor, object, context
//! instructor and team, authority, group members and the `agent` query
//! parameter. Each place allows a little more or less (a team must be a
//! Group, an authority an Agent or a two-member anonymous Group, a parameter
//! an Agent or an identified Group), so the caller says which [`Role`] it
//! checks.

use serde_json::Value;

use super::json::{Obj, as_array, index_path, invalid};
use super::syntax::{check_iri, check_mailto, check_sha1_hex};
use super::{AgentParam, Ifi, Invalid};

/// Where an Agent or Group appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A statement's actor, or a context instructor: Agent unless
    /// `objectType` says Group.
    Actor,
    /// A statement's object: `objectType` was already read and is present.
    Object,
    /// `context.team`: a Group.
    Team,
    /// `authority`: an Agent, or an anonymous Group of two Agents (the OAuth
    /// consumer and the user, 2.4.9).
    Authority,
    /// A Group member: an Agent.
    Member,
    /// The `agent` parameter: an Agent or an identified Group.
    Param,
}

/// What an Agent or Group contributed to the statement's facts.
#[derive(Debug, Clone, Default)]
pub(super) struct Who {
    pub ifi: Option<Ifi>,
    pub is_group: bool,
    pub members: Vec<Ifi>,
}

impl Who {
    /// Its own IFI, then its members'.
    pub fn all(&self) -> Vec<Ifi> {
        self.ifi.iter().chain(&self.members).cloned().collect()
    }
}

const IFI_KEYS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];
const AGENT_KEYS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_KEYS: &[&str] = &[
    "objectType",
    "name",
    "member",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];

/// Validates an Agent or Group at `path` for `role`.
pub(super) fn check_agent(v: &Value, path: &str, role: Role) -> Result<Who, Invalid> {
    let o = Obj::new(v, path, "an Agent or Group")?;
    let is_group = match o.object_type()? {
        None | Some("Agent") => false,
        Some("Group") => true,
        Some(other) => {
            return Err(invalid(
                o.at("objectType"),
                format!("must be \"Agent\" or \"Group\", not \"{other}\""),
            ));
        }
    };
    match role {
        Role::Team if !is_group => {
            return Err(invalid(
                path,
                "a team must be a Group (objectType \"Group\")",
            ));
        }
        Role::Member if is_group => {
            return Err(invalid(
                o.at("objectType"),
                "a Group's members must be Agents, not Groups",
            ));
        }
        _ => {}
    }
    if is_group {
        o.allow(GROUP_KEYS, "a Group")?;
    } else {
        o.allow(AGENT_KEYS, "an Agent")?;
    }
    o.str("name")?;
    let ifi = ifi(&o)?;
    if !is_group && ifi.is_none() {
        return Err(invalid(
            path,
            "an Agent needs one identifier: mbox, mbox_sha1sum, openid or account",
        ));
    }
    let members = if is_group {
        group_members(&o, ifi.is_none(), role)?
    } else {
        Vec::new()
    };
    if role == Role::Authority && is_group && ifi.is_some() {
        return Err(invalid(
            path,
            "a Group authority is an anonymous Group of two Agents and has no identifier",
        ));
    }
    if role == Role::Param && is_group && ifi.is_none() {
        return Err(invalid(
            path,
            "a Group given as a parameter must be identified (have an IFI)",
        ));
    }
    Ok(Who {
        ifi,
        is_group,
        members,
    })
}

/// Reads the IFI: at most one (2.4.2.1.s2.b2, 2.4.2.2.s5.b1), each in its
/// format.
fn ifi(o: &Obj) -> Result<Option<Ifi>, Invalid> {
    let present: Vec<&str> = IFI_KEYS.into_iter().filter(|k| o.has(k)).collect();
    if present.len() > 1 {
        return Err(invalid(
            o.path.clone(),
            format!(
                "has {} identifiers ({}); an Agent or Group must have exactly one",
                present.len(),
                present.join(", ")
            ),
        ));
    }
    let Some(&key) = present.first() else {
        return Ok(None);
    };
    let at = o.at(key);
    let text = match key {
        "mbox" => format!(
            "mbox:{}",
            check_mailto(o.req_str(key)?).map_err(|m| invalid(&at, m))?
        ),
        "mbox_sha1sum" => format!(
            "mbox_sha1sum:{}",
            check_sha1_hex(o.req_str(key)?).map_err(|m| invalid(&at, m))?
        ),
        "openid" => {
            let uri = o.req_str(key)?;
            check_iri(uri).map_err(|m| invalid(&at, m))?;
            format!("openid:{uri}")
        }
        _ => account(o.req(key)?, &at)?,
    };
    Ok(Some(Ifi(text)))
}

/// An account object (2.4.2.4): `homePage` (an IRL) and `name`, both
/// required, nothing else.
fn account(v: &Value, path: &str) -> Result<String, Invalid> {
    let o = Obj::new(v, path, "an account")?;
    o.allow(&["homePage", "name"], "an account")?;
    let home = o.req_str("homePage")?;
    check_iri(home).map_err(|m| invalid(o.at("homePage"), m))?;
    let name = o.req_str("name")?;
    Ok(format!("account:{home}|{name}"))
}

/// The `member` list: Agents only; required and non-empty for an anonymous
/// Group (2.4.2.2.s4.b1), exactly two for an authority.
fn group_members(o: &Obj, anonymous: bool, role: Role) -> Result<Vec<Ifi>, Invalid> {
    let Some(list) = o.get("member") else {
        return if anonymous {
            Err(invalid(
                o.at("member"),
                "is required: an anonymous Group must list its members",
            ))
        } else {
            Ok(Vec::new())
        };
    };
    let at = o.at("member");
    let list = as_array(list, &at)?;
    if anonymous && list.is_empty() {
        return Err(invalid(
            at,
            "an anonymous Group must list at least one member",
        ));
    }
    if role == Role::Authority && list.len() != 2 {
        return Err(invalid(
            at,
            format!(
                "a Group authority has exactly two members (application and user), not {}",
                list.len()
            ),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            let who = check_agent(m, &index_path(&at, i), Role::Member)?;
            who.ifi
                .ok_or_else(|| invalid(index_path(&at, i), "a member needs an identifier"))
        })
        .collect()
}

/// Validates an Agent or Group given as a query parameter (`agent=` on GET
/// /statements, the State and Agent Profile resources, GET /agents), already
/// parsed from JSON. A Group must be identified: the parameter names one
/// agent, and an anonymous Group names none (Communication 2.1.3).
pub fn check_agent_param(agent: &Value) -> Result<AgentParam, Invalid> {
    let who = check_agent(agent, "agent", Role::Param)?;
    let ifi = who
        .ifi
        .ok_or_else(|| invalid("agent", "needs an identifier"))?;
    Ok(AgentParam {
        ifi,
        is_group: who.is_group,
    })
}
