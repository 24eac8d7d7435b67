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
        EventType.SHED_INTRUSION: "车棚非开放时段有人",
        EventType.EXIT_BLOCKED: "安全出口被堵",
        EventType.NODE_OFFLINE: "节点离线",
        EventType.SMOKE_FIRE: "充电处冒烟/起火",
    },
    "en": {
        EventType.EBIKE_PARKED: "E-bike parked",
        EventType.EBIKE_IN_ELEVATOR: "E-bike in elevator",
        EventType.FLYING_WIRE: "Flying-wire charging",
        EventType.CAMERA_TAMPERED: "Camera blocked/moved",
        EventType.CAMERA_OFFLINE: "Camera offline",
        EventType.SHED_INTRUSION: "Person in closed shed",
        EventType.EXIT_BLOCKED: "Exit blocked",
        EventType.NODE_OFFLINE: "Node offline",
        EventType.SMOKE_FIRE: "Smoke or fire",
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
        Detail.FLAME_SEEN: "发现明火",
        Detail.SMOKE_SEEN: "发现烟雾",
    },
    "en": {
        Detail.CABLE_REACHES_EBIKE: "the cable reaches an e-bike",
        Detail.NO_PICTURE: "no picture",
        Detail.VIEW_BLOCKED: "view blocked",
        Detail.VIEW_BLURRED: "view blurred",
        Detail.CAMERA_TURNED_AWAY: "camera turned away",
        Detail.FLAME_SEEN: "flames seen",
        Detail.SMOKE_SEEN: "smoke seen",
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
        "review_boxes": "标框",
        "boxes_title": "修正目标框，或补画漏检的目标",
        "boxes_hint": "选好类别，在图上拖动画框；× 删除一个框。",
        "boxes_label": "类别",
        "boxes_done": "使用这些框",
        "boxes_clear": "全部清除",
        "boxes_cancel": "取消",
        "object_ebike": "电动车",
        "object_bicycle": "自行车",
        "object_person": "行人",
        "object_cable": "电线",
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
        "access_model_promoted": "启用新模型",
        "access_model_rolled_back": "回退模型",
        "access_viewed_live": "查看实时画面",
        "access_purged": "删除数据",
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
        # Privacy masks on the zone page.
        "draw_what": "绘制",
        "draw_zone": "区域",
        "draw_mask": "隐私遮挡",
        "mask_detect_through": "检测仍可看到该处（存储和显示的画面仍遮挡）",
        "masks_help": (
            "隐私遮挡（黑色）在画面被存储、显示或发送前涂黑，例如住户的门窗。"
            "绘制遮挡时，把 YAML 复制到该摄像头的 privacy_masks 下。"
        ),
        # Deletion requests (/admin/purge).
        "purge_title": "删除数据",
        "purge_help": (
            "按摄像头、日期或单条告警删除告警、处理记录、通知记录和所有截图、录像、训练原图。"
            "先显示将删除的数量，确认后才删除，且无法恢复；每次删除都记入访问日志。"
        ),
        "purge_camera": "摄像头的全部数据",
        "purge_before": "此日期之前的全部告警",
        "purge_event": "单条告警（ID）",
        "purge_check": "查看将删除的内容",
        "purge_preview": "将删除",
        "purge_confirm": "确认永久删除",
        "purge_cancel": "取消",
        "purge_done": "已删除",
        "purge_events": "告警",
        "purge_trail": "处理记录",
        "purge_outbox": "通知记录",
        "purge_digest": "待汇总条目",
        "purge_files": "文件（截图、录像、训练原图）",
        "kind_exit": "安全出口/通道",
        # Sheds: the dashboard's panel and the residents' public page (/public/sheds).
        "sheds": "车棚充电位",
        "sheds_free": "空闲 {free} / 共 {total}",
        "sheds_chart": "近24小时空闲充电位",
        "sheds_stale": "暂无最新数据",
        "sheds_none": "暂无车棚数据。",
        "sheds_public_title": "车棚空闲充电位",
        "sheds_public_help": "每分钟更新。只显示数量，不显示画面。",
        "sheds_unknown": "暂不可知",
        "shed_in_building": "{building}号楼 {shed}",
        "spot_free": "空闲",
        "spot_ebike": "电动车",
        "spot_bicycle": "自行车",
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
        # Patroller actions (issue 19): on my way, resolving with a photo.
        "on_my_way": "正在赶往",
        "on_way_by": "赶往现场",
        "done_on_my_way": "已告知监控室您正在赶往现场。",
        "photo_optional": "现场照片（可不填，随“解决”一起提交）",
        "photo_too_large": "照片过大（最多 5 MB），请缩小后重试。",
        "photo_bad": "照片无法识别，请上传 JPEG、PNG 或 WebP 图片。",
        "resolution_photo": "处理照片",
        "access_viewed_photo": "查看处理照片",
        # Statistics page (issue 19).
        "stats": "统计",
        "stats_title": "告警统计",
        "stats_from": "从",
        "stats_to": "至",
        "stats_show": "查看",
        "stats_csv": "导出 CSV",
        "stats_total": "告警总数",
        "stats_empty": "此期间没有告警。",
        "chart_per_day_type": "每日告警（按类型）",
        "chart_per_day_building": "每日告警（按楼栋）",
        "chart_response": "确认与解决用时（按巡查组）",
        "chart_cameras": "告警最多的摄像头",
        "chart_hours": "各时段告警",
        "chart_false_share": "误报比例（按摄像头）",
        "stats_ack_median": "确认用时中位数",
        "stats_ack_p90": "确认用时 P90",
        "stats_resolve_median": "解决用时中位数",
        "stats_resolve_p90": "解决用时 P90",
        "stats_minutes": "分钟",
        "stats_alerts": "告警数",
        "stats_hour": "时",
        "stats_day": "日期",
        "stats_group": "巡查组",
        "stats_no_group": "未分组",
        "stats_no_building": "未指定楼栋",
        "stats_no_reviews": "尚无判定。",
        "stats_reviewed": "已判定",
        "stats_false_alarms": "误报",
        "stats_share": "误报比例",
        "stats_acknowledged": "已确认数",
        "stats_resolved": "已解决数",
        # the live feed (dashboard/feed.py, static/feed.js)
        "critical_alert": "紧急告警",
        "critical_dismiss": "知道了",
        "critical_more": "另有 {n} 条紧急告警",
        "sound_on": "提示音：开",
        "sound_off": "提示音：关",
        "sound_hint": "浏览器要求先点击一次页面，才能播放提示音。",
        # a fleet: the site/node filter and the nodes panel (dashboard/fleet_panel.py)
        "fleet_site": "站点",
        "fleet_node": "节点",
        "fleet_any": "全部",
        "fleet_apply": "筛选",
        "fleet_nodes": "节点",
        "fleet_online": "在线",
        "fleet_offline": "离线",
        "fleet_cameras_held": "运行的摄像头",
        "fleet_version": "版本",
        "fleet_heartbeat": "上次心跳",
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
        "review_boxes": "Boxes",
        "boxes_title": "Correct the box, or draw what was missed",
        "boxes_hint": "Pick what it is, then drag on the picture to draw its box; × removes one.",
        "boxes_label": "Object",
        "boxes_done": "Use these boxes",
        "boxes_clear": "Clear all",
        "boxes_cancel": "Cancel",
        "object_ebike": "E-bike",
        "object_bicycle": "Bicycle",
        "object_person": "Person",
        "object_cable": "Cable",
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
        "access_model_promoted": "promoted a model",
        "access_model_rolled_back": "rolled a model back",
        "access_viewed_live": "viewed live picture",
        "access_purged": "purged data",
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
        # Privacy masks on the zone page.
        "draw_what": "Draw",
        "draw_zone": "Zone",
        "draw_mask": "Privacy mask",
        "mask_detect_through": "Detection still sees the area (stored and shown pictures stay "
        "masked)",
        "masks_help": (
            "Privacy masks (black) are blacked out before a picture is stored, shown or sent: a "
            "resident's door or window. For a mask, copy the YAML under this camera's "
            "privacy_masks."
        ),
        # Deletion requests (/admin/purge).
        "purge_title": "Delete data",
        "purge_help": (
            "Delete the alerts, their trails, messages and every snapshot, clip and training "
            "frame of a camera, of everything before a date, or of one alert. The counts come "
            "first; nothing is deleted until you confirm, and it cannot be undone. Each deletion "
            "is written to the access log."
        ),
        "purge_camera": "Everything of a camera",
        "purge_before": "Every alert before this date",
        "purge_event": "One alert (ID)",
        "purge_check": "Show what would be deleted",
        "purge_preview": "Would delete",
        "purge_confirm": "Delete permanently",
        "purge_cancel": "Cancel",
        "purge_done": "Deleted",
        "purge_events": "Alerts",
        "purge_trail": "Trail entries",
        "purge_outbox": "Messages",
        "purge_digest": "Digest items waiting",
        "purge_files": "Files (snapshots, clips, training frames)",
        "kind_exit": "Fire exit or aisle",
        # Sheds: the dashboard's panel and the residents' public page (/public/sheds).
        "sheds": "Shed charging spots",
        "sheds_free": "{free} of {total} free",
        "sheds_chart": "Free spots, last 24 h",
        "sheds_stale": "no recent data",
        "sheds_none": "No shed data yet.",
        "sheds_public_title": "Free charging spots in the bike sheds",
        "sheds_public_help": "Updated every minute. Counts only, no pictures.",
        "sheds_unknown": "not known right now",
        "shed_in_building": "Building {building}, {shed}",
        "spot_free": "free",
        "spot_ebike": "e-bike",
        "spot_bicycle": "bicycle",
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
        # Patroller actions (issue 19): on my way, resolving with a photo.
        "on_my_way": "On my way",
        "on_way_by": "On the way",
        "done_on_my_way": "The control room knows you are on your way.",
        "photo_optional": "Photo (optional, sent with Resolve)",
        "photo_too_large": "The photo is too large (at most 5 MB); please send a smaller one.",
        "photo_bad": "The photo could not be read; please send a JPEG, PNG or WebP picture.",
        "resolution_photo": "Resolution photo",
        "access_viewed_photo": "viewed resolution photo",
        # Statistics page (issue 19).
        "stats": "Statistics",
        "stats_title": "Alert statistics",
        "stats_from": "From",
        "stats_to": "To",
        "stats_show": "Show",
        "stats_csv": "Download CSV",
        "stats_total": "Alerts",
        "stats_empty": "No alerts in this period.",
        "chart_per_day_type": "Alerts per day by type",
        "chart_per_day_building": "Alerts per day by building",
        "chart_response": "Time to acknowledge and resolve per patrol group",
        "chart_cameras": "Busiest cameras",
        "chart_hours": "Alerts by hour of day",
        "chart_false_share": "False-alarm share per camera",
        "stats_ack_median": "Acknowledge, median",
        "stats_ack_p90": "Acknowledge, p90",
        "stats_resolve_median": "Resolve, median",
        "stats_resolve_p90": "Resolve, p90",
        "stats_minutes": "minutes",
        "stats_alerts": "alerts",
        "stats_hour": "hour",
        "stats_day": "day",
        "stats_group": "Patrol group",
        "stats_no_group": "No group",
        "stats_no_building": "No building",
        "stats_no_reviews": "No verdicts yet.",
        "stats_reviewed": "Reviewed",
        "stats_false_alarms": "False alarms",
        "stats_share": "False-alarm share",
        "stats_acknowledged": "Acknowledged",
        "stats_resolved": "Resolved",
        # the live feed (dashboard/feed.py, static/feed.js)
        "critical_alert": "Critical alert",
        "critical_dismiss": "Dismiss",
        "critical_more": "{n} more critical alerts",
        "sound_on": "Sound: on",
        "sound_off": "Sound: off",
        "sound_hint": "The browser plays sounds only after one click on the page.",
        # a fleet: the site/node filter and the nodes panel (dashboard/fleet_panel.py)
        "fleet_site": "Site",
        "fleet_node": "Node",
        "fleet_any": "All",
        "fleet_apply": "Filter",
        "fleet_nodes": "Nodes",
        "fleet_online": "online",
        "fleet_offline": "offline",
        "fleet_cameras_held": "Cameras run",
        "fleet_version": "Version",
        "fleet_heartbeat": "Last heartbeat",
    },
}

# Messages the page's script needs (prompts and errors), sent to it as JSON.
SCRIPT_KEYS = ("prompt_actor", "prompt_note", "prompt_assignee", "action_failed", "connection_lost")
FEED_KEYS = ("critical_alert", "critical_more", "sound_on", "sound_off")


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

    def feed_messages(self) -> dict[str, str | dict[str, str]]:
        """What the live feed's script writes: its texts and the event types' names."""
        texts: dict[str, str | dict[str, str]] = {key: self(key) for key in FEED_KEYS}
        texts["types"] = {t.value: self.event_type(t) for t in EventType}
        return texts

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
