"""Writes of the helpdesk (STYLE R6): one module per concern, re-exported here."""

from .attachments import add_attachment, delete_attachment
from .events import record_event
from .inbound import poll_mailbox, process_message, save_mailbox, schedule_mailbox
from .notifications import schedule_notification, send_notification
from .sla import check_sla, compute_sla, find_policy
from .tickets import (
    assign_ticket,
    check_can_assign,
    create_ticket,
    delete_comment,
    delete_ticket,
    merge_tickets,
    reply_to_ticket,
    split_ticket,
    transition_ticket,
    update_ticket,
)
from .time import delete_time, edit_time, log_time

__all__ = [
    "add_attachment",
    "assign_ticket",
    "check_can_assign",
    "check_sla",
    "compute_sla",
    "create_ticket",
    "delete_attachment",
    "delete_comment",
    "delete_ticket",
    "delete_time",
    "edit_time",
    "find_policy",
    "log_time",
    "merge_tickets",
    "poll_mailbox",
    "process_message",
    "record_event",
    "reply_to_ticket",
    "save_mailbox",
    "schedule_mailbox",
    "schedule_notification",
    "send_notification",
    "split_ticket",
    "transition_ticket",
    "update_ticket",
]
