"""Fidelity checks: DingTalk's official Python SDK (PyPI `alibabacloud-dingtalk`) against the emulator.

The SDK is used exactly as a DingTalk developer uses it: `oauth2_1_0` for the app token, `workflow_1_0` for
approvals, each call with its `...Headers` model carrying `x-acs-dingtalk-access-token`. The SDK's request and
response models are the wire truth: every response is also checked field by field against the Python types the SDK
declares for it (an `int` taskId, a string `nextToken`, ...), because the SDK itself copies values without looking.

`cargo xtask test` runs this with the pinned virtualenv (`cargo xtask setup` makes it). By hand:

    EMULATOR_URL=http://127.0.0.1:3100 target/fidelity-venv/bin/python crates/dingtalk-emulator/fidelity/sdk_check.py

Prints `ok <name>` or `not ok <name>: why` per check, then `sdk_check: N passed, M failed`; exits 1 on a failure.
"""

import datetime
import json
import os
import re
import sys
import typing
import urllib.parse
import urllib.request
from functools import partial
from pathlib import Path

from alibabacloud_dingtalk.contact_1_0 import client as contact_client
from alibabacloud_dingtalk.contact_1_0 import models as contact
from alibabacloud_dingtalk.oauth2_1_0 import client as oauth2_client
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth2
from alibabacloud_dingtalk.workflow_1_0 import client as workflow_client
from alibabacloud_dingtalk.workflow_1_0 import models as wf
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException
from Tea.model import TeaModel

EMULATOR_URL = os.environ.get("EMULATOR_URL", "http://127.0.0.1:3100").rstrip("/")
ORG = json.loads((Path(__file__).resolve().parent.parent / "fixtures" / "org.json").read_text(encoding="utf-8"))
SEEDED_TEMPLATES = ["PROC-EMU-LEAVE", "PROC-EMU-EXPENSE", "PROC-EMU-PURCHASE", "PROC-EMU-GENERAL"]
# The originator of every instance here: a seeded engineer with a manager chain two levels deep.
ORIGINATOR = "zhangsan"
# v1.0 times are UTC with minute precision (server-api.md §5).
MINUTE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")
# Read and connect limits for every call, so that a hanging emulator fails a check instead of the run.
RUNTIME = util_models.RuntimeOptions(read_timeout=10_000, connect_timeout=5_000)


class Failed(Exception):
    """A check's expectation that did not hold; the message says what was seen."""


def expect(condition, why):
    if not condition:
        raise Failed(why)


def camel(snake):
    """The wire name of an SDK model field (`task_id` → `taskId`)."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), snake)


def json_type(value):
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def type_problems(value, hint, path):
    """Where `value` differs from the type the SDK declares (`hint`), as `path: what` lines."""
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            return [f"{path} is a {json_type(value)}, the SDK declares an array"]
        (item,) = typing.get_args(hint)
        return [p for i, v in enumerate(value) for p in type_problems(v, item, f"{path}[{i}]")]
    if origin is dict:
        return [] if isinstance(value, dict) else [f"{path} is a {json_type(value)}, the SDK declares an object"]
    if isinstance(hint, type) and issubclass(hint, TeaModel):
        return model_problems(value, path)
    fits = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
    }.get(hint, lambda v: True)
    if fits(value):
        return []
    return [f"{path} is the {json_type(value)} {value!r}, the SDK declares {getattr(hint, '__name__', hint)}"]


def model_problems(model, path):
    """Type mismatches in every field of an SDK model that the response set."""
    hints = typing.get_type_hints(type(model).__init__)
    return [
        problem
        for field, hint in hints.items()
        if field != "return" and getattr(model, field, None) is not None
        for problem in type_problems(getattr(model, field), hint, f"{path}.{camel(field)}")
    ]


def typed_body(response, check_types=True):
    """The response body as the SDK's model, after checking it has the declared types everywhere."""
    body = getattr(response, "body", None)
    if body is None:
        raw = json.dumps(getattr(response, "_map", None), ensure_ascii=False, default=str)[:300]
        raise Failed(f"the SDK could not read the response into its model: {raw}")
    if check_types:
        expect_types(body)
    return body


def expect_types(body):
    problems = model_problems(body, "body")
    expect(not problems, "; ".join(problems))


def dingtalk_error(call, *, status, codes):
    """Runs `call`, which must fail with the SDK's TeaException carrying one of `codes` and HTTP `status`."""
    try:
        call()
    except TeaException as e:
        data = e.data if isinstance(e.data, dict) else {}
        expect(e.code in codes, f"code {e.code!r} ({e.message}), expected one of {sorted(codes)}")
        expect(data.get("statusCode") == status, f"HTTP {data.get('statusCode')}, expected {status}")
        expect(data.get("message"), f"no message in {data}")
        expect(data.get("requestid"), f"no requestid in {data}")
        return e
    raise Failed(f"the call succeeded; expected DingTalk's error {sorted(codes)}")


def control(path, body):
    """A call to the emulator's own control API (not DingTalk's)."""
    request = urllib.request.Request(
        EMULATOR_URL + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def minute_time_ms(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%MZ").replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000


def option_text(option):
    """A select option's text: v1.0 gives plain strings; a JSON `{key, value}` string is read too."""
    try:
        parsed = json.loads(option)
    except (TypeError, ValueError):
        return option
    return parsed.get("value", option) if isinstance(parsed, dict) else option


def component_value(component, who):
    """A valid value for one schema component, encoded as server-api.md §5.1 says; None for display-only ones."""
    props = component.props
    name = component.component_name
    options = [option_text(o) for o in (props.options or [])]
    # A table column's props model has no `format`; the top-level one does.
    date_format = getattr(props, "format", None) or ""
    if name in ("TextField", "TextareaField"):
        return "SDK fidelity check"
    if name in ("NumberField", "MoneyField", "StarRatingField"):
        return "3"
    if name == "DDSelectField":
        return options[0] if options else None
    if name == "DDMultiSelectField":
        return json.dumps(options[:1], ensure_ascii=False)
    if name == "DDDateField":
        return "2030-05-06 09:00" if "HH" in date_format else "2030-05-06"
    if name == "DDDateRangeField":
        if "HH" in date_format:
            return json.dumps(["2030-05-06 09:00", "2030-05-07 18:00"])
        return json.dumps(["2030-05-06", "2030-05-07"])
    if name == "PhoneField":
        return "13800000000"
    if name == "InnerContactField":
        return json.dumps([who])
    if name == "DepartmentField":
        return str(user(who)["deptIds"][0])
    if name == "DDPhotoField":
        return json.dumps(["https://static.example.com/fidelity.png"])
    if name == "AddressField":
        return "北京,北京市,朝阳区"
    if name == "TableField":
        row = [
            {"name": child.props.label, "value": component_value(child, who)}
            for child in component.children or []
            if component_value(child, who) is not None
        ]
        return json.dumps([row], ensure_ascii=False)
    return None


def user(user_id):
    return next(u for u in ORG["users"] if u["userId"] == user_id)


class Session:
    """One run of the checks: SDK clients, the token, and what earlier checks made for later ones."""

    def __init__(self):
        url = urllib.parse.urlsplit(EMULATOR_URL)
        config = open_api_models.Config(protocol=url.scheme, region_id="central", endpoint=url.netloc)
        self.oauth2 = oauth2_client.Client(config)
        self.workflow_client = workflow_client.Client(config)
        self.contact = contact_client.Client(config)
        self.token = None
        self.schemas = {}
        self.instances = {}
        self.purchase_pick = None

    # Calling conventions.

    def workflow(self, method, request, headers, token=None, check_types=True):
        """A workflow_1_0 call as DingTalk's samples make it: `<method>_with_options(request, headers, runtime)`."""
        headers.x_acs_dingtalk_access_token = token or self.need_token()
        response = getattr(self.workflow_client, f"{method}_with_options")(request, headers, RUNTIME)
        return typed_body(response, check_types)

    def need_token(self):
        expect(self.token, "needs the access token check")
        return self.token

    def need_schema(self, code):
        expect(code in self.schemas, f"needs the form schema of {code}")
        return self.schemas[code]

    def need_instance(self, code):
        expect(code in self.instances, f"needs an instance of {code}")
        return self.instances[code]

    def form_values(self, code, model=wf.StartProcessInstanceRequestFormComponentValues):
        """Values for every required input of `code`'s schema, built from the schema the SDK returned."""
        values = []
        for item in self.need_schema(code).schema_content.items:
            value = component_value(item, ORIGINATOR)
            if value is None:
                expect(not item.props.required, f"cannot fill required {item.component_name} {item.props.id}")
                continue
            values.append(model(id=item.props.id, name=item.props.label, value=value, component_type=item.component_name))
        return values

    def get_instance(self, instance_id):
        body = self.workflow(
            "get_process_instance",
            wf.GetProcessInstanceRequest(process_instance_id=instance_id),
            wf.GetProcessInstanceHeaders(),
        )
        expect(body.success == "true", f"success is {body.success!r}, DingTalk sends the string 'true'")
        expect(body.result is not None, "no result")
        return body.result

    def running_task(self, instance_id):
        tasks = [t for t in self.get_instance(instance_id).tasks or [] if t.status == "RUNNING"]
        expect(tasks, f"instance {instance_id} has no RUNNING task")
        return tasks[0]

    def start(self, code, **extra):
        body = self.workflow(
            "start_process_instance",
            wf.StartProcessInstanceRequest(
                process_code=code,
                originator_user_id=ORIGINATOR,
                dept_id=user(ORIGINATOR)["deptIds"][0],
                microapp_agent_id=ORG["app"]["agentId"],
                form_component_values=self.form_values(code),
                **extra,
            ),
            wf.StartProcessInstanceHeaders(),
        )
        expect(body.instance_id, "no instanceId")
        return body.instance_id

    def todo_count(self, user_id):
        body = self.workflow(
            "get_user_todo_task_sum", wf.GetUserTodoTaskSumRequest(user_id=user_id), wf.GetUserTodoTaskSumHeaders()
        )
        expect(isinstance(body.result, int), f"result is {body.result!r}")
        return body.result

    def execute(self, instance_id, task, result):
        body = self.workflow(
            "execute_process_instance",
            wf.ExecuteProcessInstanceRequest(
                process_instance_id=instance_id,
                task_id=task.task_id,
                actioner_user_id=task.user_id,
                result=result,
                remark=f"SDK fidelity check: {result}",
            ),
            wf.ExecuteProcessInstanceHeaders(),
        )
        expect(body.result is True, f"result is {body.result!r}")

    # The checks, in the order they run.

    def access_token(self):
        response = self.oauth2.get_access_token(
            oauth2.GetAccessTokenRequest(app_key=ORG["app"]["appKey"], app_secret=ORG["app"]["appSecret"])
        )
        body = typed_body(response)
        expect(body.access_token, "no accessToken")
        expect(body.expire_in == 7200, f"expireIn is {body.expire_in!r}")
        self.token = body.access_token

    def wrong_secret(self):
        request = oauth2.GetAccessTokenRequest(app_key=ORG["app"]["appKey"], app_secret="not-the-secret")
        dingtalk_error(lambda: self.oauth2.get_access_token(request), status=400, codes={"invalidClientIdOrSecret"})

    def invalid_token_on_contact(self):
        headers = contact.GetUserHeaders(x_acs_dingtalk_access_token="not-a-token")
        call = partial(self.contact.get_user_with_options, "me", headers, RUNTIME)
        dingtalk_error(call, status=400, codes={"InvalidAuthentication"})

    def invalid_token_on_workflow(self):
        call = partial(
            self.workflow,
            "query_schema_by_process_code",
            wf.QuerySchemaByProcessCodeRequest(process_code="PROC-EMU-GENERAL"),
            wf.QuerySchemaByProcessCodeHeaders(),
            token="not-a-token",
        )
        dingtalk_error(call, status=400, codes={"InvalidAuthentication"})

    def schema(self, code):
        body = self.workflow(
            "query_schema_by_process_code",
            wf.QuerySchemaByProcessCodeRequest(process_code=code),
            wf.QuerySchemaByProcessCodeHeaders(),
            check_types=False,
        )
        result = body.result
        expect(result is not None and result.name, "no result.name")
        items = result.schema_content.items if result.schema_content else None
        expect(items, "schemaContent.items is empty")
        for item in items:
            expect(item.component_name, "an item without componentName")
            expect(item.props and item.props.id and item.props.label, f"{item.component_name} without props.id/label")
        # Later checks fill forms from the schema even when a field's type is off; this check still reports it.
        self.schemas[code] = result
        expect_types(body)

    def schema_of_unknown_code(self):
        call = partial(
            self.workflow,
            "query_schema_by_process_code",
            wf.QuerySchemaByProcessCodeRequest(process_code="PROC-NO-SUCH-TEMPLATE"),
            wf.QuerySchemaByProcessCodeHeaders(),
        )
        dingtalk_error(call, status=400, codes={"formNotExist", "aflowProcessCodeIsError", "noPermission"})

    def visible_templates(self):
        body = self.workflow(
            "list_user_visible_bpms_processes",
            wf.ListUserVisibleBpmsProcessesRequest(user_id=ORIGINATOR, max_results=100, next_token=0),
            wf.ListUserVisibleBpmsProcessesHeaders(),
        )
        codes = {p.process_code for p in (body.result.process_list if body.result else None) or []}
        missing = set(SEEDED_TEMPLATES) - codes
        expect(not missing, f"processList lacks {sorted(missing)}")
        for process in body.result.process_list:
            expect(process.name, f"{process.process_code} has no name")

    def approval_space(self):
        body = self.workflow(
            "get_attachment_space",
            wf.GetAttachmentSpaceRequest(user_id=ORIGINATOR, agent_id=ORG["app"]["agentId"]),
            wf.GetAttachmentSpaceHeaders(),
        )
        expect(body.success is True, f"success is {body.success!r}")
        expect(body.result and body.result.space_id, "no result.spaceId")

    def forecast(self, code):
        body = self.workflow(
            "process_forecast",
            wf.ProcessForecastRequest(
                process_code=code,
                dept_id=user(ORIGINATOR)["deptIds"][0],
                user_id=ORIGINATOR,
                form_component_values=self.form_values(code, wf.ProcessForecastRequestFormComponentValues),
            ),
            wf.ProcessForecastHeaders(),
        )
        rules = (body.result.workflow_activity_rules if body.result else None) or []
        expect(rules, "no workflowActivityRules")
        expect(body.result.is_forecast_success is True, f"isForecastSuccess is {body.result.is_forecast_success!r}")
        return rules

    def forecast_manager_step(self):
        first = self.forecast("PROC-EMU-GENERAL")[0]
        actioners = [a.user_id for a in first.activity_actioners or []]
        manager = user(ORIGINATOR)["managerUserId"]
        expect(actioners == [manager], f"first step's activityActioners are {actioners}, expected [{manager!r}]")

    def forecast_originator_picks(self):
        picks = [r for r in self.forecast("PROC-EMU-PURCHASE") if r.is_target_select]
        expect(picks, "no rule with isTargetSelect (the template's 采购经办人 step)")
        actor = picks[0].workflow_actor
        expect(actor and actor.actor_key, "the isTargetSelect rule has no workflowActor.actorKey")
        scope = [a.work_no for a in (actor.actor_selection_range.approvals if actor.actor_selection_range else None) or []]
        expect(scope, "the isTargetSelect rule has no actorSelectionRange.approvals")
        self.purchase_pick = wf.StartProcessInstanceRequestTargetSelectActioners(
            actioner_key=actor.actor_key, actioner_user_ids=scope[:1]
        )

    def forecast_cc_pick(self):
        rules = self.forecast("PROC-EMU-GENERAL")
        cc = rules[-1]
        actor = cc.workflow_actor
        expect(actor and actor.actor_type == "notifier", f"the last rule's actorType is {actor and actor.actor_type!r}")
        expect(cc.is_target_select is True and cc.activity_type == "target_select", "the CC node is not target_select")
        expect(actor.actor_selection_type == "allStaff", f"actorSelectionType is {actor.actor_selection_type!r}")
        picked = [u["userId"] for u in ORG["users"] if u["active"] and u["userId"] != ORIGINATOR][:2]
        pick = wf.StartProcessInstanceRequestTargetSelectActioners(actioner_key=actor.actor_key, actioner_user_ids=picked)
        instance = self.get_instance(self.start("PROC-EMU-GENERAL", target_select_actioners=[pick]))
        expect(instance.cc_user_ids == picked, f"ccUserIds are {instance.cc_user_ids!r}, expected {picked!r}")

    def create(self, code):
        extra = {}
        if code == "PROC-EMU-PURCHASE":
            expect(self.purchase_pick, "needs the forecast of PROC-EMU-PURCHASE (its actorKey)")
            extra["target_select_actioners"] = [self.purchase_pick]
        self.instances[code] = self.start(code, **extra)

    def create_without_the_pick(self):
        call = partial(self.start, "PROC-EMU-PURCHASE")
        dingtalk_error(call, status=400, codes={"targetSelectApproverMissing"})

    def create_with_unknown_code(self):
        self.need_schema("PROC-EMU-GENERAL")
        request = wf.StartProcessInstanceRequest(
            process_code="PROC-NO-SUCH-TEMPLATE",
            originator_user_id=ORIGINATOR,
            dept_id=user(ORIGINATOR)["deptIds"][0],
            form_component_values=self.form_values("PROC-EMU-GENERAL"),
        )
        call = partial(self.workflow, "start_process_instance", request, wf.StartProcessInstanceHeaders())
        dingtalk_error(call, status=400, codes={"processCodeError", "aflowProcessCodeIsError", "formNotExist"})

    def create_with_a_bad_option(self):
        code = "PROC-EMU-LEAVE"
        values = self.form_values(code)
        select = next((v for v in values if v.component_type == "DDSelectField"), None)
        expect(select, f"{code} has no select field to spoil")
        select.value = "not one of the options"
        request = wf.StartProcessInstanceRequest(
            process_code=code,
            originator_user_id=ORIGINATOR,
            dept_id=user(ORIGINATOR)["deptIds"][0],
            form_component_values=values,
        )
        call = partial(self.workflow, "start_process_instance", request, wf.StartProcessInstanceHeaders())
        error = dingtalk_error(call, status=400, codes={"formConverterError"})
        expect(select.name in error.message, f"the message {error.message!r} does not name the control {select.name!r}")

    def get_running(self, code):
        instance_id = self.need_instance(code)
        result = self.get_instance(instance_id)
        expect(result.status == "RUNNING", f"status is {result.status!r}")
        expect(not result.result, f"result is {result.result!r} while running")
        expect(result.originator_user_id == ORIGINATOR, f"originatorUserId is {result.originator_user_id!r}")
        expect(result.title, "no title")
        expect(MINUTE_TIME.match(result.create_time or ""), f"createTime {result.create_time!r} is not yyyy-MM-ddTHH:mmZ")
        sent = {v.name for v in self.form_values(code)}
        returned = {v.name for v in result.form_component_values or []}
        expect(sent <= returned, f"formComponentValues lack {sorted(sent - returned)}")
        records = result.operation_records or []
        expect(records and records[0].type == "START_PROCESS_INSTANCE", "operationRecords do not open with START_PROCESS_INSTANCE")
        running = [t for t in result.tasks or [] if t.status == "RUNNING"]
        expect(running, "no RUNNING task")
        for task in running:
            expect(task.user_id and task.activity_id, f"task {task.task_id} lacks userId or activityId")
            expect(MINUTE_TIME.match(task.create_time or ""), f"task createTime {task.create_time!r} is not yyyy-MM-ddTHH:mmZ")

    def get_unknown_instance(self):
        call = partial(self.get_instance, "no-such-instance")
        dingtalk_error(call, status=400, codes={"processInstanceNotExist", "aflowProcessInstNotExist", "processInstanceIdError"})

    def instance_ids_pages(self):
        first = self.need_instance("PROC-EMU-GENERAL")
        created = [first, self.start("PROC-EMU-GENERAL"), self.start("PROC-EMU-GENERAL")]
        self.instances["GENERAL-2"], self.instances["GENERAL-3"] = created[1:]
        start_ms = minute_time_ms(self.get_instance(first).create_time) - 3_600_000
        seen, next_token, pages = [], 0, 0
        while True:
            body = self.workflow(
                "list_process_instance_ids",
                wf.ListProcessInstanceIdsRequest(
                    process_code="PROC-EMU-GENERAL",
                    start_time=start_ms,
                    end_time=start_ms + 86_400_000,
                    max_results=2,
                    next_token=next_token,
                    user_ids=[ORIGINATOR],
                ),
                wf.ListProcessInstanceIdsHeaders(),
            )
            page = body.result.list if body.result else None
            expect(page is not None, "no result.list")
            expect(len(page) <= 2, f"a page of {len(page)} ids for maxResults 2")
            seen += page
            pages += 1
            if not body.result.next_token:
                break
            expect(pages < 50, "more than 50 pages")
            next_token = int(body.result.next_token)
        expect(len(seen) == len(set(seen)), f"an id came twice: {seen}")
        expect(set(created) <= set(seen), f"the pages {seen} lack some of {created}")
        expect(pages >= 2, f"{len(seen)} ids came in {pages} page(s) of at most 2")

    def todo_count_and_agree(self):
        instance_id = self.need_instance("PROC-EMU-GENERAL")
        task = self.running_task(instance_id)
        before = self.todo_count(task.user_id)
        expect(before >= 1, f"todo count of {task.user_id} is {before} with a task running")
        self.execute(instance_id, task, "agree")
        after = self.todo_count(task.user_id)
        expect(after == before - 1, f"todo count of {task.user_id} went {before} → {after} after agreeing")
        result = self.get_instance(instance_id)
        expect((result.status, result.result) == ("COMPLETED", "agree"), f"instance is {result.status}/{result.result}")
        expect(MINUTE_TIME.match(result.finish_time or ""), f"finishTime {result.finish_time!r}")
        done = next((t for t in result.tasks if t.task_id == task.task_id), None)
        expect(done and (done.status, done.result) == ("COMPLETED", "AGREE"), f"the task is {done and (done.status, done.result)}")

    def agree_moves_to_next_step(self):
        instance_id = self.need_instance("PROC-EMU-LEAVE")
        first = self.running_task(instance_id)
        self.execute(instance_id, first, "agree")
        result = self.get_instance(instance_id)
        expect(result.status == "RUNNING", f"status is {result.status!r} after the first of two steps")
        running = [t for t in result.tasks if t.status == "RUNNING"]
        expect(running and running[0].activity_id != first.activity_id, "no RUNNING task on a later step")

    def refuse(self):
        instance_id = self.need_instance("PROC-EMU-EXPENSE")
        self.execute(instance_id, self.running_task(instance_id), "refuse")
        result = self.get_instance(instance_id)
        expect((result.status, result.result) == ("COMPLETED", "refuse"), f"instance is {result.status}/{result.result}")

    def execute_by_someone_else(self):
        instance_id = self.need_instance("PROC-EMU-PURCHASE")
        task = self.running_task(instance_id)
        task.user_id = next(u["userId"] for u in ORG["users"] if u["userId"] not in (task.user_id, ORIGINATOR))
        call = partial(self.execute, instance_id, task, "agree")
        dingtalk_error(call, status=400, codes={"invalidInstanceExecuteActionerUserId", "invalidInstanceExecuteTaskId"})

    def comment(self):
        instance_id = self.need_instance("PROC-EMU-PURCHASE")
        text = "SDK fidelity check: a comment"
        body = self.workflow(
            "add_process_instance_comment",
            wf.AddProcessInstanceCommentRequest(process_instance_id=instance_id, text=text, comment_user_id=ORIGINATOR),
            wf.AddProcessInstanceCommentHeaders(),
        )
        expect(body.result is True, f"result is {body.result!r}")
        records = self.get_instance(instance_id).operation_records or []
        remarks = [(r.type, r.user_id, r.remark) for r in records if r.type == "ADD_REMARK"]
        expect(("ADD_REMARK", ORIGINATOR, text) in remarks, f"no ADD_REMARK record with the text: {remarks}")

    def redirect(self):
        instance_id = self.need_instance("GENERAL-2")
        task = self.running_task(instance_id)
        to = next(u["userId"] for u in ORG["users"] if u["active"] and u["userId"] not in (task.user_id, ORIGINATOR))
        body = self.workflow(
            "redirect_workflow_task",
            wf.RedirectWorkflowTaskRequest(
                task_id=task.task_id, to_user_id=to, operate_user_id=task.user_id, remark="SDK fidelity check: redirect"
            ),
            wf.RedirectWorkflowTaskHeaders(),
        )
        expect(body.result is True, f"result is {body.result!r}")
        tasks = self.get_instance(instance_id).tasks
        old = next((t for t in tasks if t.task_id == task.task_id), None)
        expect(old and old.result == "REDIRECTED", f"the redirected task's result is {old and old.result!r}")
        expect(any(t.user_id == to and t.status == "RUNNING" for t in tasks), f"no RUNNING task for {to}")

    def terminate_request(self, instance_id):
        return wf.TerminateProcessInstanceRequest(
            process_instance_id=instance_id, is_system=False, operating_user_id=ORIGINATOR, remark="SDK fidelity check"
        )

    def terminate_too_soon(self):
        instance_id = self.start("PROC-EMU-GENERAL")
        self.instances["GENERAL-fresh"] = instance_id
        call = partial(self.workflow, "terminate_process_instance", self.terminate_request(instance_id), wf.TerminateProcessInstanceHeaders())
        dingtalk_error(call, status=400, codes={"aflowProcessInstStatusException"})

    def terminate(self):
        instance_id = self.need_instance("GENERAL-fresh")
        control("/_emulator/clock/advance", {"seconds": 20})
        body = self.workflow(
            "terminate_process_instance", self.terminate_request(instance_id), wf.TerminateProcessInstanceHeaders()
        )
        expect(body.result is True, f"result is {body.result!r}")
        result = self.get_instance(instance_id)
        expect(result.status == "TERMINATED", f"status is {result.status!r}")

    def checks(self):
        """Every check as (name, function), in order: later ones use what earlier ones made."""
        return [
            ("oauth2 accessToken", self.access_token),
            ("oauth2 accessToken with a wrong secret fails with invalidClientIdOrSecret", self.wrong_secret),
            ("contact users/me with an invalid token fails with InvalidAuthentication", self.invalid_token_on_contact),
            ("workflow with an invalid token fails with InvalidAuthentication", self.invalid_token_on_workflow),
            *[(f"form schema of {code}", partial(self.schema, code)) for code in SEEDED_TEMPLATES],
            ("form schema of an unknown processCode fails", self.schema_of_unknown_code),
            ("templates visible to a user", self.visible_templates),
            ("approval space of a user", self.approval_space),
            ("forecast names the originator's manager", self.forecast_manager_step),
            ("forecast gives the actorKey of an originator-picks step", self.forecast_originator_picks),
            ("forecast gives a notifier node to pick for, and the picked are copied", self.forecast_cc_pick),
            *[(f"create an instance of {code}", partial(self.create, code)) for code in SEEDED_TEMPLATES],
            ("create without the originator's pick fails", self.create_without_the_pick),
            ("create with an unknown processCode fails", self.create_with_unknown_code),
            ("create with a select value outside its options fails with formConverterError", self.create_with_a_bad_option),
            *[(f"get the running instance of {code}", partial(self.get_running, code)) for code in SEEDED_TEMPLATES],
            ("get an unknown instance fails", self.get_unknown_instance),
            ("instanceIds query pages with maxResults and nextToken", self.instance_ids_pages),
            ("todo count, then agree completes a one-step instance", self.todo_count_and_agree),
            ("agree moves a two-step instance to its next step", self.agree_moves_to_next_step),
            ("refuse completes an instance as refused", self.refuse),
            ("execute by someone other than the task's user fails", self.execute_by_someone_else),
            ("comment shows as an ADD_REMARK record", self.comment),
            ("redirect hands the task to another user", self.redirect),
            ("terminate within 15 s of creation fails", self.terminate_too_soon),
            ("terminate after 15 s ends the instance as TERMINATED", self.terminate),
        ]


def main():
    passed = failed = 0
    for name, check in Session().checks():
        try:
            check()
        except Failed as e:
            outcome = f"not ok {name}: {e}"
        except TeaException as e:
            outcome = f"not ok {name}: DingTalk error {e.code}: {e.message}"
        except Exception as e:  # noqa: BLE001 - any other failure is reported, and the next check runs.
            outcome = f"not ok {name}: {type(e).__name__}: {e}"
        else:
            outcome = f"ok {name}"
        passed += outcome.startswith("ok ")
        failed += outcome.startswith("not ok ")
        print(outcome, flush=True)
    print(f"sdk_check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
