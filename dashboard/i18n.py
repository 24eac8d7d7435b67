"""The dashboard's texts in Chinese (zh-CN) and English, and how a request picks its language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from alerts.events import Detail, EventStatus, EventType, Severity, detail_key

Lang = Literal["zh-CN", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)

EVENT_TYPES: dict[Lang, dict[EventType, str]] = {
    "zh-CN": {
        EventType.EBIKE_PARKED: "电动车违停",
        EventType.EBIKE_IN_ELEVATOR: "电动车进电梯",
        EventType.FLYING_WIRE: "飞线充电",
        EventType.CAMERA_TAMPERED: "摄像头遮挡/移位",
        EventType.CAMERA_OFFLINE: "摄像头离线",
    },
    "en": {
        EventType.EBIKE_PARKED: "E-bike parked",
        EventType.EBIKE_IN_ELEVATOR: "E-bike in elevator",
        EventType.FLYING_WIRE: "Flying-wire charging",
        EventType.CAMERA_TAMPERED: "Camera blocked/moved",
        EventType.CAMERA_OFFLINE: "Camera offline",
    },
}

SEVERITIES: dict[Lang, dict[Severity, str]] = {
    "zh-CN": {Severity.INFO: "提示", Severity.HIGH: "高", Severity.CRITICAL: "紧急"},
    "en": {Severity.INFO: "Info", Severity.HIGH: "High", Severity.CRITICAL: "Critical"},
}

STATUSES: dict[Lang, dict[EventStatus, str]] = {
    "zh-CN": {
        EventStatus.OPEN: "待处理",
        EventStatus.ACKNOWLEDGED: "已确认",
        EventStatus.RESOLVED: "已解决",
    },
    "en": {
        EventStatus.OPEN: "Open",
        EventStatus.ACKNOWLEDGED: "Acknowledged",
        EventStatus.RESOLVED: "Resolved",
    },
}

DETAILS: dict[Lang, dict[Detail, str]] = {
    "zh-CN": {
        Detail.CABLE_REACHES_EBIKE: "电线已接到电动车",
        Detail.NO_PICTURE: "无画面",
        Detail.VIEW_BLOCKED: "画面被遮挡",
        Detail.VIEW_BLURRED: "画面模糊",
        Detail.CAMERA_TURNED_AWAY: "摄像头被转动",
    },
    "en": {
        Detail.CABLE_REACHES_EBIKE: "the cable reaches an e-bike",
        Detail.NO_PICTURE: "no picture",
        Detail.VIEW_BLOCKED: "view blocked",
        Detail.VIEW_BLURRED: "view blurred",
        Detail.CAMERA_TURNED_AWAY: "camera turned away",
    },
}

MESSAGES: dict[Lang, dict[str, str]] = {
    "zh-CN": {
        "title": "楼道安全监控",
        "events": "告警事件",
        "cameras": "摄像头",
        "no_events": "暂无告警",
        "no_cameras": "没有摄像头状态",
        "all": "全部",
        "open_count": "待处理",
        "alert_time": "告警时间",
        "started": "开始",
        "ended": "结束",
        "ongoing": "仍在持续",
        "duration": "持续",
        "zone": "区域",
        "confidence": "置信度",
        "acknowledged_by": "确认人",
        "assigned_to": "指派给",
        "resolved_by": "处理人",
        "note": "备注",
        "reminders": "提醒次数",
        "acknowledge": "确认",
        "assign": "指派",
        "resolve": "解决",
        # Verdicts (issue 15): was the alert right?
        "verdict": "判定",
        "verdict_confirmed": "属实",
        "verdict_false_alarm": "误报",
        "mark_confirmed": "属实",
        "mark_false_alarm": "误报",
        "review_reason": "误报原因",
        "review_note": "判定备注（可不填）",
        "reason_bicycle": "自行车",
        "reason_stroller_or_wheelchair": "婴儿车或轮椅",
        "reason_person": "行人",
        "reason_object_or_shadow": "物品或阴影",
        "reason_cable_lookalike": "类似电线的物体",
        "reason_other": "其他",
        "verdicts": "告警判定",
        "verdicts_none": "尚无判定。",
        "verdicts_false_by_reason": "误报原因",
        # Finding alerts (issue 19): the filter bar and paging.
        "filters": "筛选告警",
        "filter_building": "楼栋",
        "filter_floor": "楼层",
        "filter_type": "类型",
        "filter_any": "不限",
        "filter_from": "起始日期",
        "filter_to": "截止日期",
        "filter_apply": "筛选",
        "filter_clear": "清除筛选",
        "verdict_none": "未判定",
        "page_more": "更多（较早的告警）",
        "page_newest": "回到最新",
        "prompt_actor": "请输入您的姓名：",
        "prompt_note": "备注（可留空）：",
        "prompt_assignee": "指派给谁？",
        "action_failed": "操作失败",
        "connection_lost": "连接中断，正在重试…",
        "updated": "更新于",
        "snapshot": "现场截图",
        "clip": "现场录像",
        "state_connecting": "连接中",
        "state_online": "在线",
        "state_offline": "离线",
        "fps": "帧/秒",
        "last_frame": "最后画面",
        "seconds_ago": "秒前",
        "language": "English",
        # Signing in (when the dashboard has users).
        "sign_in": "登录",
        "sign_out": "退出",
        "user_name": "用户名",
        "password": "密码",
        "login_failed": "用户名或密码错误。",
        "login_locked": "密码错误次数过多，请一分钟后再试。",
        "role_viewer": "只读",
        "role_operator": "值班员",
        "role_admin": "管理员",
        "live": "实时画面",
        "no_picture": "暂无画面",
        "audit": "访问记录",
        "notified": "通知",
        "delivery_sent": "已送达",
        "delivery_waiting": "待发送",
        "delivery_failed": "失败",
        "audit_title": "访问记录",
        "audit_help": (
            "谁在何时登录、查看了哪条告警的截图或录像、哪路摄像头的实时画面"
            "（同一人十分钟内重复查看只记一次）。"
        ),
        "audit_actor": "用户",
        "audit_action": "操作",
        "audit_any": "全部",
        "audit_day": "日期",
        "audit_filter": "筛选",
        "audit_csv": "导出 CSV",
        "audit_time": "时间",
        "audit_target": "对象",
        "audit_address": "地址",
        "audit_empty": "没有记录。",
        "access_signed_in": "登录",
        "access_sign_in_failed": "登录失败",
        "access_sign_in_locked": "登录被锁定",
        "access_signed_out": "退出",
        "access_viewed_snapshot": "查看截图",
        "access_viewed_clip": "查看录像",
        "access_viewed_training": "查看训练原图",
        "access_viewed_live": "查看实时画面",
        "zones_title": "划定区域",
        "draw_zones": "划定区域",
        "zones_help": (
            "在画面上依次点击新区域的各个顶点（至少三个），"
            "再把下方的 YAML 复制到配置文件中该摄像头的 zones 下。蓝色为已配置的区域。"
        ),
        "zone_name": "区域名称",
        "zone_kind": "区域类型",
        "undo_point": "撤销一点",
        "clear_points": "清除",
        "zone_yaml": "配置（YAML）",
        "kind_no_parking": "禁停区（楼道、楼梯）",
        "kind_elevator": "电梯轿厢",
        "kind_shed": "车棚",
        "kind_cable_watch": "飞线监视（外墙、走廊）",
        # The patroller's page (/p/{token}).
        "patrol_title": "巡查告警",
        "camera": "摄像头",
        "severity": "级别",
        "status": "状态",
        "since": "发生于",
        "your_name": "您的姓名",
        "note_optional": "备注（可不填）",
        "name_required": "请填写您的姓名。",
        "too_long": "输入过长，请缩短。",
        "done_acknowledged": "已确认，谢谢！请尽快到现场处理。",
        "done_resolved": "已标记为解决，谢谢！",
        "changed_meanwhile": "此告警已被他人处理，当前状态：",
        "nothing_left": "此告警已解决，无需再操作。",
        "confirm_resolve": "确认现场已处理完毕？",
        "link_valid_until": "此链接有效期至",
        "link_expired_title": "链接已过期",
        "link_expired_text": "此告警链接已失效。如需处理，请联系监控室。",
        "link_invalid_title": "链接无效",
        "link_invalid_text": "链接不完整或已被改动。请从原消息重新打开，或联系监控室。",
        "event_gone_title": "告警不存在",
        "event_gone_text": "此告警已被删除（可能已超过保存期限）。请联系监控室。",
    },
    "en": {
        "title": "Stairwatch",
        "events": "Events",
        "cameras": "Cameras",
        "no_events": "No events",
        "no_cameras": "No camera status",
        "all": "All",
        "open_count": "Open",
        "alert_time": "Alert",
        "started": "Started",
        "ended": "Ended",
        "ongoing": "ongoing",
        "duration": "Lasted",
        "zone": "Zone",
        "confidence": "Confidence",
        "acknowledged_by": "Acknowledged by",
        "assigned_to": "Assigned to",
        "resolved_by": "Resolved by",
        "note": "Note",
        "reminders": "Reminders",
        "acknowledge": "Acknowledge",
        "assign": "Assign",
        "resolve": "Resolve",
        # Verdicts (issue 15): was the alert right?
        "verdict": "Verdict",
        "verdict_confirmed": "Confirmed",
        "verdict_false_alarm": "False alarm",
        "mark_confirmed": "Confirm",
        "mark_false_alarm": "False alarm",
        "review_reason": "Why it is a false alarm",
        "review_note": "Verdict note (optional)",
        "reason_bicycle": "Bicycle",
        "reason_stroller_or_wheelchair": "Stroller or wheelchair",
        "reason_person": "Person",
        "reason_object_or_shadow": "Object or shadow",
        "reason_cable_lookalike": "Cable look-alike",
        "reason_other": "Other",
        "verdicts": "Verdicts",
        "verdicts_none": "No verdicts yet.",
        "verdicts_false_by_reason": "False alarms by reason",
        # Finding alerts (issue 19): the filter bar and paging.
        "filters": "Find alerts",
        "filter_building": "Building",
        "filter_floor": "Floor",
        "filter_type": "Type",
        "filter_any": "Any",
        "filter_from": "From",
        "filter_to": "To",
        "filter_apply": "Filter",
        "filter_clear": "Clear filters",
        "verdict_none": "Not reviewed",
        "page_more": "More (older alerts)",
        "page_newest": "Back to the newest",
        "prompt_actor": "Your name:",
        "prompt_note": "Note (optional):",
        "prompt_assignee": "Assign to whom?",
        "action_failed": "Action failed",
        "connection_lost": "Connection lost, retrying…",
        "updated": "Updated",
        "snapshot": "Snapshot",
        "clip": "Video clip",
        "state_connecting": "connecting",
        "state_online": "online",
        "state_offline": "offline",
        "fps": "fps",
        "last_frame": "last frame",
        "seconds_ago": "s ago",
        "language": "中文",
        # Signing in (when the dashboard has users).
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "user_name": "User name",
        "password": "Password",
        "login_failed": "Wrong user name or password.",
        "login_locked": "Too many wrong passwords; please try again in a minute.",
        "role_viewer": "viewer",
        "role_operator": "operator",
        "role_admin": "admin",
        "live": "Live view",
        "no_picture": "No picture yet",
        "audit": "Access log",
        "notified": "Notified",
        "delivery_sent": "sent",
        "delivery_waiting": "waiting",
        "delivery_failed": "failed",
        "audit_title": "Access log",
        "audit_help": (
            "Who signed in, and who viewed which alert's snapshot or clip and which camera's "
            "live picture, when (the same person viewing again within ten minutes is one entry)."
        ),
        "audit_actor": "User",
        "audit_action": "Action",
        "audit_any": "Any",
        "audit_day": "Day",
        "audit_filter": "Filter",
        "audit_csv": "Download CSV",
        "audit_time": "Time",
        "audit_target": "Target",
        "audit_address": "Address",
        "audit_empty": "Nothing logged.",
        "access_signed_in": "signed in",
        "access_sign_in_failed": "sign-in failed",
        "access_sign_in_locked": "sign-in locked",
        "access_signed_out": "signed out",
        "access_viewed_snapshot": "viewed snapshot",
        "access_viewed_clip": "viewed clip",
        "access_viewed_training": "viewed training frame",
        "access_viewed_live": "viewed live picture",
        "zones_title": "Draw zones",
        "draw_zones": "Zones",
        "zones_help": (
            "Click the corners of a new zone on the picture (at least three), then copy the YAML "
            "below under this camera's zones in the configuration. Configured zones are blue."
        ),
        "zone_name": "Zone name",
        "zone_kind": "Zone kind",
        "undo_point": "Undo point",
        "clear_points": "Clear",
        "zone_yaml": "Configuration (YAML)",
        "kind_no_parking": "No parking (corridor, stairs)",
        "kind_elevator": "Elevator car",
        "kind_shed": "Bike shed",
        "kind_cable_watch": "Cable watch (facade, corridor)",
        # The patroller's page (/p/{token}).
        "patrol_title": "Patrol alert",
        "camera": "Camera",
        "severity": "Severity",
        "status": "Status",
        "since": "Since",
        "your_name": "Your name",
        "note_optional": "Note (optional)",
        "name_required": "Please enter your name.",
        "too_long": "That is too long; please shorten it.",
        "done_acknowledged": "Acknowledged, thank you. Please go and deal with it.",
        "done_resolved": "Marked as resolved, thank you.",
        "changed_meanwhile": "Someone else has dealt with this alert; it is now:",
        "nothing_left": "This alert is resolved; nothing left to do.",
        "confirm_resolve": "Is it dealt with on site?",
        "link_valid_until": "This link is valid until",
        "link_expired_title": "Link expired",
        "link_expired_text": "This alert link has expired. Please ask the control room.",
        "link_invalid_title": "Invalid link",
        "link_invalid_text": (
            "The link is incomplete or was altered. Open it again from the original message, "
            "or ask the control room."
        ),
        "event_gone_title": "Alert not found",
        "event_gone_text": (
            "This alert no longer exists (it may have passed its retention period). "
            "Please ask the control room."
        ),
    },
}

# Messages the page's script needs (prompts and errors), sent to it as JSON.
SCRIPT_KEYS = ("prompt_actor", "prompt_note", "prompt_assignee", "action_failed", "connection_lost")


@dataclass(frozen=True)
class Texts:
    """The catalogue for one language."""

    lang: Lang

    def __call__(self, key: str) -> str:
        return MESSAGES[self.lang][key]

    def event_type(self, value: EventType) -> str:
        return EVENT_TYPES[self.lang][value]

    def severity(self, value: Severity) -> str:
        return SEVERITIES[self.lang][value]

    def status(self, value: EventStatus) -> str:
        return STATUSES[self.lang][value]

    def detail(self, stored: str) -> str:
        """A stored event detail in this language; a text that is no known key as it is."""
        key = detail_key(stored)
        return stored if key is None else DETAILS[self.lang][key]

    def script_messages(self) -> dict[str, str]:
        return {key: self(key) for key in SCRIPT_KEYS}

    def other_lang(self) -> Lang:
        return "en" if self.lang == "zh-CN" else "zh-CN"

    def duration(self, seconds: float) -> str:
        """``95`` -> ``1 min 35 s`` / ``1分35秒``; hours and minutes beyond an hour."""
        total = max(0, round(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        zh = self.lang == "zh-CN"
        if hours:
            return f"{hours}小时{minutes}分" if zh else f"{hours} h {minutes} min"
        if minutes:
            return f"{minutes}分{secs}秒" if zh else f"{minutes} min {secs} s"
        return f"{secs}秒" if zh else f"{secs} s"


def parse_lang(value: str | None) -> Lang | None:
    """``zh``, ``zh-CN``, ``zh_Hans`` -> ``zh-CN``; ``en-GB`` -> ``en``; anything else None."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return "zh-CN" if primary == "zh" else "en" if primary == "en" else None


def pick_lang(query_lang: str | None, accept_language: str | None, default: Lang) -> Lang:
    """The ``lang`` query parameter wins, then the best Accept-Language match, then ``default``."""
    chosen = parse_lang(query_lang)
    if chosen is not None:
        return chosen
    for tag in _by_preference(accept_language or ""):
        chosen = parse_lang(tag)
        if chosen is not None:
            return chosen
    return default


def _by_preference(header: str) -> list[str]:
    """Accept-Language tags, highest q first (ties keep their order); q=0 dropped."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]
