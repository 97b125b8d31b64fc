//! The mfa, risk, tokens store families on both backends (issue #18): the same steps give the same
//! answers on SQLite and PostgreSQL, and claims race correctly on PostgreSQL.
