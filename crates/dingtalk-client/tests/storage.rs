//! DingTalk Drive's storage API against the emulator: a server-side upload into a user's approval space, and the
//! refusals around it (someone else's space, an unknown space, a PUT without the signature, a commit before the
//! bytes or with another size).

use dingtalk_client::storage::HeaderSignatureInfo;
use dingtalk_client::{DingTalk, Error};
use dingtalk_emulator::Emulator;

fn client(emu: &Emulator) -> DingTalk {
    let app = &emu.org().app;
    DingTalk::builder().app_key(&app.app_key).app_secret(&app.app_secret).base_url(emu.uri()).build().unwrap()
}

fn union_id(emu: &Emulator, user_id: &str) -> String {
    emu.org().users.iter().find(|u| u.user_id == user_id).unwrap().union_id.clone()
}

fn code(e: Error) -> String {
    e.api_code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_upload_becomes_a_file_in_the_owners_approval_space() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let space = dt.workflow().attachment_space("zhangsan", None).await.unwrap().to_string();
    let me = union_id(&emu, "zhangsan");
    let file = dt.storage().upload(&space, &me, "报价单.PDF", b"%PDF-1.7".to_vec()).await.unwrap();
    assert_eq!((file.space_id.as_str(), file.name.as_str(), file.size), (space.as_str(), "报价单.PDF", 8));
    assert_eq!(file.extension.as_deref(), Some("pdf"));
    assert!(!file.id.is_empty());
}

#[tokio::test]
async fn uploads_are_refused_outside_the_rules() {
    let emu = Emulator::start().await.unwrap();
    let dt = client(&emu);
    let storage = dt.storage();
    let space = dt.workflow().attachment_space("zhangsan", None).await.unwrap().to_string();
    let me = union_id(&emu, "zhangsan");
    let other = union_id(&emu, "lisi");

    assert_eq!(code(storage.upload_info(&space, &other, "a.txt", 1).await.unwrap_err()), "noPermission");
    assert_eq!(code(storage.upload_info("123", &me, "a.txt", 1).await.unwrap_err()), "spaceNotExist");

    let info = storage.upload_info(&space, &me, "a.txt", 3).await.unwrap();
    assert_eq!(code(storage.commit(&space, &me, &info.upload_key, "a.txt", 3).await.unwrap_err()), "invalidUploadKey");
    let unsigned = dingtalk_client::storage::UploadInfo {
        upload_key: info.upload_key.clone(),
        header_signature_info: HeaderSignatureInfo {
            headers: Default::default(),
            ..info.header_signature_info.clone()
        },
    };
    assert_eq!(code(storage.put(&unsigned, b"abc".to_vec()).await.unwrap_err()), "http403");
    storage.put(&info, b"abcd".to_vec()).await.unwrap();
    assert_eq!(code(storage.commit(&space, &me, &info.upload_key, "a.txt", 3).await.unwrap_err()), "fileSizeMismatch");
    storage.put(&info, b"abc".to_vec()).await.unwrap();
    let file = storage.commit(&space, &me, &info.upload_key, "a.txt", 3).await.unwrap();
    assert_eq!(file.size, 3);
    // A key is good for one file.
    assert_eq!(code(storage.commit(&space, &me, &info.upload_key, "a.txt", 3).await.unwrap_err()), "invalidUploadKey");
}
