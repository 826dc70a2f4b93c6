"""Helpers for the admin tests: run an action, read the page's messages and the queued jobs."""

from __future__ import annotations

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ


def run_action(client, changelist_url: str, action: str, objects):
    """POST an admin action for `objects` as the changelist's form does."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects], "index": 0}
    return client.post(changelist_url, data)


def offered_actions(response) -> list[str]:
    """The names of the actions a changelist offers (none: no action form)."""
    action_form = response.context["action_form"]
    return [] if action_form is None else [name for name, _ in action_form.fields["action"].choices if name]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def queued_jobs() -> list[tuple[str, tuple]]:
    """(function, args) of each job waiting in the django-q2 ORM broker, oldest first."""
    return [(job.func(), tuple(job.args())) for job in OrmQ.objects.order_by("id")]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)
