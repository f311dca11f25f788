//! Errors reach the user here and only here: every failure maps to short text in zh-CN or English. `Debug` goes
//! to the console, never to the screen.

use api_types::form::FieldErrorCode;
use api_types::{ApiError, ErrorCode};

use crate::i18n::Lang;
use crate::jsapi::JsApiError;

/// Anything that can stop a screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The page runs in a plain browser.
    NotInDingTalk,
    /// DingTalk's free-login JSAPI (`requestAuthCode`) failed.
    Login(JsApiError),
    /// Another JSAPI call failed (a picker, an upload, `dd.config`).
    JsApi(JsApiError),
    /// The server answered with an error.
    Api(ApiError),
    /// The server could not be reached or answered nonsense.
    Network(String),
    /// More files were chosen than the field takes at once.
    TooManyFiles,
    /// A web login came back with a `state` this tab did not send (a stale or forged link).
    LoginStateMismatch,
}

/// For the console: the release build prints no `Debug` (`-Zfmt-debug=none`, xtask/src/split.rs), so what a
/// warning says of a failure is written here.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotInDingTalk => f.write_str("not in DingTalk"),
            Failure::Login(e) => write!(f, "login: {e}"),
            Failure::JsApi(e) => write!(f, "JSAPI: {e}"),
            Failure::Api(e) => write!(f, "server: {e}"),
            Failure::Network(e) => write!(f, "network: {e}"),
            Failure::TooManyFiles => f.write_str("too many files"),
            Failure::LoginStateMismatch => f.write_str("the web login's state does not match"),
        }
    }
}

impl Failure {
    /// A short title and one sentence of advice, in `lang`.
    pub fn describe(&self, lang: Lang) -> (&'static str, &'static str) {
        use Lang::*;
        match (self, lang) {
            (Failure::NotInDingTalk, Zh) => {
                ("请在钉钉中打开", "在钉钉工作台点开「审批」会自动登录；在浏览器中也可以用钉钉账号登录。")
            }
            (Failure::NotInDingTalk, En) => (
                "Open shenpi in DingTalk",
                "Opened from the DingTalk workbench it logs you in by itself; in a browser, log in with DingTalk.",
            ),
            (Failure::TooManyFiles, Zh) => ("文件太多", "一次最多添加 9 个文件，请少选几个后重试。"),
            (Failure::TooManyFiles, En) => {
                ("Too many files", "Add at most 9 files at a time; choose fewer and try again.")
            }
            (Failure::LoginStateMismatch, Zh) => ("登录请求已失效", "请重新用钉钉账号登录。"),
            (Failure::LoginStateMismatch, En) => ("Login link expired", "Please log in with DingTalk again."),
            (Failure::Login(JsApiError::Cancelled), Zh) => ("登录已取消", "点「重试」再次登录。"),
            (Failure::Login(JsApiError::Cancelled), En) => ("Login cancelled", "Tap Retry to log in again."),
            (Failure::JsApi(_), Zh) => ("钉钉未能完成操作", "请重试；若一直失败，请升级钉钉或联系管理员。"),
            (Failure::JsApi(_), En) => {
                ("DingTalk could not do that", "Try again; if it keeps failing, update DingTalk or ask your admin.")
            }
            (Failure::Login(_), Zh) => ("钉钉未能完成登录", "请稍后重试；若一直失败，请升级钉钉或联系管理员。"),
            (Failure::Login(_), En) => {
                ("DingTalk could not log you in", "Try again; if it keeps failing, update DingTalk or ask your admin.")
            }
            (Failure::Api(e), lang) => describe_code(e.code, lang),
            (Failure::Network(_), Zh) => ("网络连接失败", "请检查网络后重试。"),
            (Failure::Network(_), En) => ("No connection", "Check the network and try again."),
        }
    }
}

/// The words for each server error code.
fn describe_code(code: ErrorCode, lang: Lang) -> (&'static str, &'static str) {
    use Lang::*;
    match (code, lang) {
        (ErrorCode::AuthCodeInvalid, Zh) => ("登录码已失效", "登录码已被使用或已过期，请点「重试」或重新打开审批。"),
        (ErrorCode::AuthCodeInvalid, En) => {
            ("Login code expired", "The login code was already used or has expired. Tap Retry or reopen the app.")
        }
        (ErrorCode::Unauthenticated, Zh) => ("登录已过期", "请重新登录。"),
        (ErrorCode::Unauthenticated, En) => ("Session expired", "Please log in again."),
        (ErrorCode::CorpMismatch, Zh) => ("组织不匹配", "当前钉钉组织没有开通审批，请切换到正确的组织后再打开。"),
        (ErrorCode::CorpMismatch, En) => {
            ("Wrong organisation", "This organisation does not have shenpi. Switch organisation and reopen it.")
        }
        (ErrorCode::NotAMember, Zh) => ("不是本组织成员", "这个钉钉账号不在本组织中，请换一个账号登录。"),
        (ErrorCode::NotAMember, En) => {
            ("Not a member", "This DingTalk account is not in the organisation. Log in with another one.")
        }
        (ErrorCode::AppNotFound, Zh) => {
            ("应用配置有误", "钉钉找不到这个应用（AppKey 或 AppSecret 不对），请联系管理员。")
        }
        (ErrorCode::AppNotFound, En) => (
            "App misconfigured",
            "DingTalk does not recognise this app (wrong AppKey or AppSecret). Contact your administrator.",
        ),
        (ErrorCode::PermissionMissing, Zh) => ("应用缺少权限", "应用还没有开通所需的钉钉接口权限，请联系管理员开通。"),
        (ErrorCode::PermissionMissing, En) => {
            ("Permission missing", "The app lacks a DingTalk permission it needs. Ask your administrator to grant it.")
        }
        (ErrorCode::DingTalkRejected, Zh) => ("钉钉拒绝了请求", "应用配置或权限有误，请联系管理员。"),
        (ErrorCode::DingTalkRejected, En) => {
            ("DingTalk refused", "The app's setup or permissions are wrong; ask your admin.")
        }
        (ErrorCode::DingTalkUnavailable, Zh) => ("钉钉暂时不可用", "请稍后重试。"),
        (ErrorCode::DingTalkUnavailable, En) => ("DingTalk is unavailable", "Please try again shortly."),
        (ErrorCode::BadRequest | ErrorCode::PayloadTooLarge, Zh) => ("请求有误", "请刷新页面后重试。"),
        (ErrorCode::BadRequest | ErrorCode::PayloadTooLarge, En) => ("Bad request", "Reload the page and try again."),
        (ErrorCode::IdempotencyConflict, Zh) => ("重复提交", "这次提交与之前的内容不同，请刷新后重新填写。"),
        (ErrorCode::IdempotencyConflict, En) => {
            ("Duplicate submission", "This differs from what was sent before. Reload and fill in the form again.")
        }
        (ErrorCode::FormInvalid, Zh) => ("表单有误", "请按提示修改标出的内容。"),
        (ErrorCode::FormInvalid, En) => ("Check the form", "Correct the marked fields."),
        (ErrorCode::TemplateNotFound, Zh) => ("审批模板不存在", "这个审批模板已停用或被删除。"),
        (ErrorCode::TemplateNotFound, En) => ("Template not found", "This approval template was disabled or removed."),
        (ErrorCode::FormRejected, Zh) => ("钉钉拒绝了表单", "请检查表单内容后重新提交。"),
        (ErrorCode::FormRejected, En) => ("DingTalk refused the form", "Check the form and submit it again."),
        (ErrorCode::ApproversMissing, Zh) => ("缺少审批人", "请为需要自选审批人的步骤选择审批人。"),
        (ErrorCode::ApproversMissing, En) => ("Approvers missing", "Pick approvers for the steps that ask for them."),
        (ErrorCode::PickOutOfScope, Zh) => ("所选人员不在可选范围内", "请重新编辑，为审批人或抄送人另选他人。"),
        (ErrorCode::PickOutOfScope, En) => {
            ("Someone picked cannot be chosen", "Edit the request and pick other approvers or people to copy.")
        }
        (ErrorCode::DraftConflict, Zh) => ("草稿已在其他设备上更改", "请重新打开草稿，查看最新内容后再保存。"),
        (ErrorCode::DraftConflict, En) => {
            ("Draft changed on another device", "Reopen the draft to see the latest version, then save again.")
        }
        (ErrorCode::ActionNotAllowed, Zh) => ("无法操作", "这不是你的审批任务，或你不是发起人。"),
        (ErrorCode::ActionNotAllowed, En) => {
            ("Not allowed", "This is not your task, or you did not start this approval.")
        }
        (ErrorCode::TaskDone, Zh) => ("已处理", "这个任务已被处理、转交或取消，或审批已结束。"),
        (ErrorCode::TaskDone, En) => {
            ("Already handled", "The task was already handled, transferred or cancelled, or the approval has ended.")
        }
        (ErrorCode::RevokeTooSoon, Zh) => ("暂时不能撤销", "审批刚发起，请 15 秒后再撤销。"),
        (ErrorCode::RevokeTooSoon, En) => ("Too soon to revoke", "Wait 15 seconds after submitting, then revoke."),
        (ErrorCode::TransferTargetInvalid, Zh) => ("无法转交", "转交对象不存在，或已是该节点的审批人。"),
        (ErrorCode::TransferTargetInvalid, En) => {
            ("Cannot transfer", "That person does not exist or already approves this step.")
        }
        (ErrorCode::NotFound, Zh) => ("内容不存在", "它可能已被删除，或你没有查看权限。"),
        (ErrorCode::NotFound, En) => ("Not found", "It may have been deleted, or you may not have access."),
        // The app never calls DingTalk's callback, so it never sees `callback_refused`.
        (ErrorCode::Internal | ErrorCode::CallbackRefused | ErrorCode::Unknown, Zh) => ("服务出错了", "请稍后重试。"),
        (ErrorCode::Internal | ErrorCode::CallbackRefused | ErrorCode::Unknown, En) => {
            ("Something went wrong", "Please try again shortly.")
        }
    }
}

/// What is wrong with a form field's value, in `lang`: shown under the field.
pub fn field_error_text(code: FieldErrorCode, lang: Lang) -> &'static str {
    use FieldErrorCode as E;
    match code {
        E::Required => lang.pick("请填写此项", "This is required"),
        E::UnknownField | E::NotFillable | E::WrongType | E::Unknown => {
            lang.pick("内容有误，请重新填写", "Not valid here; fill it in again")
        }
        E::CannotSubmit => {
            lang.pick("此项只能在钉钉审批中填写，无法在这里提交", "Only DingTalk's own app can fill this in")
        }
        E::NotANumber => lang.pick("请输入数字", "Enter a number"),
        E::Negative => lang.pick("金额不能为负数", "The amount cannot be negative"),
        E::TooManyDecimals => lang.pick("金额最多两位小数", "At most two decimals"),
        E::NotAnOption => lang.pick("请从选项中选择", "Pick one of the options"),
        E::Duplicate => lang.pick("不能重复选择", "Picked twice"),
        E::BadDate => lang.pick("日期格式不正确", "Not a valid date"),
        E::RangeReversed => lang.pick("结束时间不能早于开始时间", "The end is before the start"),
        E::TooLong => lang.pick("内容太长", "Too long"),
        E::TooMany => lang.pick("选择的数量超出限制", "Too many picked"),
        E::BadPhone => lang.pick("请输入正确的手机号或座机号", "Enter a mobile or landline number"),
        E::BadUrl | E::BadAttachment => lang.pick("文件无效，请重新上传", "Invalid file; upload it again"),
        E::BadAddress => lang.pick("请填写省、市、区", "Fill in province, city and district"),
        E::BadRating => lang.pick("请评分", "Give a rating"),
        E::BadLocation => lang.pick("未能获取时间和地点", "Time and place unavailable"),
        E::BlankId => lang.pick("选择有误，请重新选择", "Pick again"),
    }
}

/// Why a picker or an upload on a form field did not open, in `lang`: shown on the field.
pub fn picker_failure_text(failure: &Failure, lang: Lang) -> &'static str {
    match failure {
        Failure::NotInDingTalk | Failure::JsApi(JsApiError::NotInDingTalk | JsApiError::Missing(_)) => {
            lang.pick("请在钉钉中打开审批后使用此功能", "Open shenpi in DingTalk to use this")
        }
        Failure::JsApi(_) => lang.pick("钉钉未能完成操作，请重试", "DingTalk could not do it; try again"),
        other => other.describe(lang).0,
    }
}
