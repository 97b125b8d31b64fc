//! Passwords are prepared (Argon2id, SRP verifier) before the write transaction that stores
//! them: the contracts of `NewPassword`, `prepare_user` and `recovery::prepare_reset`, on the
//! real store of a running server.

use incognito::accounts::codes::{self, Purpose};
use incognito::accounts::recovery;
use incognito::accounts::service::{self, NewPassword, NewUser};
use incognito::authn::password;
use incognito::pools::Pool;

use crate::helpers::{PASSWORD, TestApp, create_user, spawn_app};

const NEW: &str = "a fresh passphrase 42";

fn pool(app: &TestApp) -> Pool {
    let id = app.pool_id.clone();
    app.state
        .store
        .read_sync(|db| -> incognito::Result<Pool> {
            Ok(incognito::store::pools::get(db, &id)?.expect("pool"))
        })
        .unwrap()
}

fn stored_hash(app: &TestApp, user_id: &str) -> String {
    let (pool_id, id) = (app.pool_id.clone(), user_id.to_string());
    app.state
        .store
        .read_sync(|db| -> incognito::Result<String> {
            Ok(incognito::store::users::get(db, &pool_id, &id)?
                .expect("user")
                .password_hash
                .expect("a password"))
        })
        .unwrap()
}

#[tokio::test]
async fn a_password_prepared_for_one_user_is_refused_for_another() {
    let app = spawn_app().await;
    let pool = pool(&app);
    let ann = create_user(&app, "ann@example.com", "Ann");
    let bob = create_user(&app, "bob@example.com", "Bob");
    let store = app.state.store.clone();
    let users = |id: &str| {
        let (pool_id, id) = (pool.id.clone(), id.to_string());
        store
            .read_sync(|db| -> incognito::Result<_> {
                Ok(incognito::store::users::get(db, &pool_id, &id)?.expect("user"))
            })
            .unwrap()
    };
    let for_ann = NewPassword::prepare(&pool, &users(&ann).username, NEW).unwrap();
    assert!(for_ann.is_for(&users(&ann).username));
    let mut b = users(&bob);
    let r = store
        .write_sync(|db| service::set_password(db, &app.state.sealer, &mut b, &for_ann, true, 1));
    assert!(matches!(r, Err(incognito::Error::Invalid(_))), "{r:?}");
    assert_eq!(
        password::verify(PASSWORD, &stored_hash(&app, &bob)),
        password::Verified::Yes,
        "Bob's password is unchanged"
    );
    // The policy is checked when preparing, before any hashing or writing.
    assert!(matches!(
        NewPassword::prepare(&pool, &users(&ann).username, "short"),
        Err(incognito::Error::Invalid(_))
    ));
}

#[tokio::test]
async fn prepare_user_hashes_without_the_database_and_create_checks_uniqueness() {
    let app = spawn_app().await;
    let pool = pool(&app);
    let new_user = || NewUser {
        username: None,
        email: Some("Carol@Example.com".into()),
        password: Some(NEW.into()),
        password_hash: None,
        attributes: [
            ("name".to_string(), "Carol".to_string()),
            ("locale".to_string(), "en".to_string()),
        ]
        .into(),
        confirmed: true,
        email_verified: true,
    };
    let prepared = service::prepare_user(&pool, new_user(), 5).unwrap();
    assert_eq!(prepared.email(), Some("carol@example.com"));
    let sealer = app.state.sealer.clone();
    let user = app
        .state
        .store
        .write_sync(|db| service::create(db, &pool, &sealer, prepared))
        .unwrap();
    assert_eq!(
        password::verify(NEW, &stored_hash(&app, &user.id)),
        password::Verified::Yes
    );
    // A second user with the same email is refused inside the transaction.
    let again = service::prepare_user(&pool, new_user(), 6).unwrap();
    let r = app
        .state
        .store
        .write_sync(|db| service::create(db, &pool, &sealer, again));
    assert!(
        matches!(r, Err(incognito::Error::AlreadyExists(_))),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_reset_is_prepared_only_for_the_right_code_and_completes_without_it() {
    let app = spawn_app().await;
    let pool = pool(&app);
    let id = create_user(&app, "dan@example.com", "Dan");
    let now = app.state.now();
    let code = app
        .state
        .store
        .write_sync(|db| codes::issue(db, &pool.id, &id, Purpose::ResetPassword, 900, now))
        .unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let prepare = |login: &str, code: &str, pw: &str| {
        app.state
            .store
            .read_sync(|db| recovery::prepare_reset(db, &pool, login, code, pw, now))
            .unwrap()
    };
    assert!(prepare("dan@example.com", wrong, NEW).is_none());
    assert!(prepare("nobody@example.com", &code, NEW).is_none());
    assert!(prepare("dan@example.com", "abc", NEW).is_none());
    assert!(prepare("dan@example.com", &code, "short").is_none());
    assert!(prepare("dan@example.com", &code, NEW).is_some());
    // Peeking recorded nothing: the code still has all its attempts and works once.
    let sealer = app.state.sealer.clone();
    let done = app
        .state
        .store
        .write_sync(|db| {
            // Without a prepared password (a race made the code right in between), the reset
            // hashes inside the transaction and still completes.
            recovery::reset_password(
                db,
                &pool,
                &sealer,
                "dan@example.com",
                &code,
                NEW,
                None,
                "en",
                now,
            )
        })
        .unwrap();
    assert!(done.is_ok());
    assert_eq!(
        password::verify(NEW, &stored_hash(&app, &id)),
        password::Verified::Yes
    );
    assert!(prepare("dan@example.com", &code, NEW).is_none(), "spent");
}
