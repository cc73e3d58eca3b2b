//! The accounts' SQL: users, sessions, API tokens, schools, classes and
//! their members. The rules (who may do what, what a valid login is) live
//! in `cartable_core::accounts`; this module only keeps and finds rows.

use crate::{Db, Result, StoreError, now};
use cartable_core::accounts::{Class, Login, Membership, Role, School, User};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A user with the hashes their sign-in is checked against.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: User,
    pub password_hash: Option<String>,
    pub picture_hash: Option<String>,
}

/// A new user to add.
pub struct NewUser<'a> {
    pub login: &'a Login,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

/// An API token as its owner sees it in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A learner added by a bulk enrolment.
pub struct Enrolled<'a> {
    pub login: &'a Login,
    pub name: &'a str,
    pub class: &'a str,
    pub password_hash: &'a str,
}

const USER_COLUMNS: &str =
    "u.login, u.name, u.role, u.avatar, u.disabled, u.password_hash, u.picture_hash";

fn user_from_row(row: &AnyRow) -> Result<UserRow> {
    let login: String = row.try_get("login")?;
    let role: String = row.try_get("role")?;
    Ok(UserRow {
        user: User {
            login: Login::try_from(login.as_str())
                .map_err(|_| StoreError::Corrupt(format!("login \"{login}\"")))?,
            name: row.try_get("name")?,
            role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            avatar: row.try_get("avatar")?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
        },
        password_hash: row.try_get("password_hash")?,
        picture_hash: row.try_get("picture_hash")?,
    })
}

fn class_from_row(row: &AnyRow) -> Result<Class> {
    Ok(Class {
        id: row.try_get("id")?,
        school: row.try_get("school_id")?,
        school_name: row.try_get("school_name")?,
        name: row.try_get("name")?,
        picture_login: row.try_get::<i64, _>("picture_login")? != 0,
    })
}

const CLASS_COLUMNS: &str = "c.id, c.school_id, s.name AS school_name, c.name, c.picture_login FROM classes c JOIN schools s ON s.id = c.school_id";

impl Db {
    /// Adds a user; false when the login is taken.
    pub async fn add_user(&self, new: &NewUser<'_>) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO users (login, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (login) DO NOTHING",
        )
        .bind(new.login.as_str())
        .bind(new.name)
        .bind(new.role.as_str())
        .bind(new.password_hash.map(str::to_owned))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user(&self, login: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.login = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.login");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| user_from_row(r).map(|u| u.user))
            .collect()
    }

    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Changes what is given; false when there is no such user.
    pub async fn update_user(
        &self,
        login: &str,
        name: Option<&str>,
        role: Option<Role>,
        disabled: Option<bool>,
        password_hash: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role),
               disabled = COALESCE($4, disabled), password_hash = COALESCE($5, password_hash)
             WHERE login = $1",
        )
        .bind(login)
        .bind(name.map(str::to_owned))
        .bind(role.map(|r| r.as_str().to_owned()))
        .bind(disabled.map(i64::from))
        .bind(password_hash.map(str::to_owned))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_picture(&self, login: &str, avatar: &str, picture_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET avatar = $2, picture_hash = $3 WHERE login = $1")
            .bind(login)
            .bind(avatar)
            .bind(picture_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        digest: &str,
        login: &Login,
        csrf: &str,
        expires_at: i64,
    ) -> Result<()> {
        // Each sign-in sweeps the sessions that have expired, so the table
        // holds only live ones without a job of its own.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (digest, login, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(digest)
        .bind(login.as_str())
        .bind(csrf)
        .bind(now())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of a live session, and the session's CSRF token. A
    /// disabled user's sessions count for nothing.
    pub async fn session(&self, digest: &str) -> Result<Option<(User, String)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.login = s.login
             WHERE s.digest = $1 AND s.expires_at > $2 AND u.disabled = 0"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(digest)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((user_from_row(&r)?.user, r.try_get("csrf")?)))
            .transpose()
    }

    pub async fn delete_session(&self, digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1 OR expires_at <= $2")
            .bind(digest)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a user ("sign out everywhere"); how many.
    pub async fn delete_sessions(&self, login: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE login = $1")
            .bind(login)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub async fn create_token(
        &self,
        id: &str,
        digest: &str,
        login: &Login,
        name: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, digest, login, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(digest)
        .bind(login.as_str())
        .bind(name)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user a token belongs to. Notes the time of use at most once a
    /// minute, so a busy script does not write on every request.
    pub async fn token_user(&self, digest: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id FROM api_tokens t JOIN users u ON u.login = t.login
             WHERE t.digest = $1 AND u.disabled = 0"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let now = now();
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE digest = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(digest)
        .bind(now)
        .bind(now - 60)
        .execute(&self.pool)
        .await?;
        Ok(Some(user_from_row(&row)?.user))
    }

    pub async fn tokens(&self, login: &str) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE login = $1 ORDER BY created_at, id",
        )
        .bind(login)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    /// Revokes one of `login`'s tokens; false when they have no such token.
    pub async fn revoke_token(&self, login: &str, id: &str) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM api_tokens WHERE login = $1 AND id = $2")
                .bind(login)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    /// Adds a school; false when the id is taken.
    pub async fn add_school(&self, id: &str, name: &str, district: &str) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO schools (id, name, created_at, district) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(now())
        .bind(district)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn schools(&self) -> Result<Vec<School>> {
        sqlx::query("SELECT id, name, district FROM schools ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(School {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    district: r.try_get("district")?,
                })
            })
            .collect()
    }

    /// Adds a class to an existing school; false when the id is taken.
    pub async fn add_class(&self, id: &str, school: &str, name: &str) -> Result<bool> {
        Ok(sqlx::query(
            "INSERT INTO classes (id, school_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(school)
        .bind(name)
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn classes(&self) -> Result<Vec<Class>> {
        let sql = format!("SELECT {CLASS_COLUMNS} ORDER BY s.name, c.name, c.id");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(class_from_row)
            .collect()
    }

    pub async fn class(&self, id: &str) -> Result<Option<Class>> {
        let sql = format!("SELECT {CLASS_COLUMNS} WHERE c.id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(class_from_row)
            .transpose()
    }

    /// The classes `login` belongs to, and as what.
    pub async fn classes_of(&self, login: &str) -> Result<Vec<(Class, Membership)>> {
        let sql = "SELECT c.id, c.school_id, s.name AS school_name, c.name, c.picture_login, m.position
             FROM classes c JOIN schools s ON s.id = c.school_id JOIN class_members m ON m.class_id = c.id
             WHERE m.login = $1 ORDER BY s.name, c.name";
        sqlx::query(sql)
            .bind(login)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((class_from_row(r)?, membership(r)?)))
            .collect()
    }

    /// Who is in a class: teachers first, then learners, by name.
    pub async fn class_members(&self, class: &str) -> Result<Vec<(User, Membership)>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, m.position FROM class_members m JOIN users u ON u.login = m.login
             WHERE m.class_id = $1 ORDER BY m.position DESC, u.name, u.login"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(class)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((user_from_row(r)?.user, membership(r)?)))
            .collect()
    }

    /// Puts a user in a class (or changes how they are in it).
    pub async fn add_member(&self, class: &str, login: &str, position: Membership) -> Result<()> {
        sqlx::query(
            "INSERT INTO class_members (class_id, login, position) VALUES ($1, $2, $3)
             ON CONFLICT (class_id, login) DO UPDATE SET position = $3",
        )
        .bind(class)
        .bind(login)
        .bind(position.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_picture_login(&self, class: &str, enabled: bool) -> Result<()> {
        sqlx::query("UPDATE classes SET picture_login = $2 WHERE id = $1")
            .bind(class)
            .bind(i64::from(enabled))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes a whole enrolment in one transaction: all learners or none.
    pub async fn enrol(&self, learners: &[Enrolled<'_>]) -> Result<()> {
        let now = now();
        let mut tx = self.begin_write().await?;
        for l in learners {
            sqlx::query(
                "INSERT INTO users (login, name, role, password_hash, created_at) VALUES ($1, $2, 'learner', $3, $4)",
            )
            .bind(l.login.as_str())
            .bind(l.name)
            .bind(l.password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO class_members (class_id, login, position) VALUES ($1, $2, 'learner')",
            )
            .bind(l.class)
            .bind(l.login.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn membership(row: &AnyRow) -> Result<Membership> {
    let p: String = row.try_get("position")?;
    Membership::parse(&p).ok_or_else(|| StoreError::Corrupt(format!("class position \"{p}\"")))
}
